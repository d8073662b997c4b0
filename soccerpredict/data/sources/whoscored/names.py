"""WhoScored's names and codes mapped onto football-data's: tournaments to divisions, team spellings, seasons, ids."""

from __future__ import annotations

import re
from typing import Final

import pandas as pd

from soccerpredict.data.teams import TeamNames, default_team_names, team_slug
from soccerpredict.errors import SourceParseError

__all__ = ["WHOSCORED_TEAM_ALIASES", "WHOSCORED_TOURNAMENTS", "division_of", "whoscored_team_names"]

#: -> football-data division. E0 is checked against real pages (tests/fixtures/whoscored); the others follow
#: the same naming and fail loudly (unknown tournament) if WhoScored spells them otherwise.
WHOSCORED_TOURNAMENTS: Final[dict[str, str]] = {
    "England-Premier-League": "E0",
    "England-Championship": "E1",
    "England-League-One": "E2",
    "England-League-Two": "E3",
    "Spain-LaLiga": "SP1",
    "Germany-Bundesliga": "D1",
    "Germany-2-Bundesliga": "D2",
    "Italy-Serie-A": "I1",
    "Italy-Serie-B": "I2",
    "France-Ligue-1": "F1",
    "France-Ligue-2": "F2",
    "Netherlands-Eredivisie": "N1",
    "Scotland-Premiership": "SC0",
}

#: WhoScored spelling -> football-data's canonical name, where they differ.
WHOSCORED_TEAM_ALIASES: Final[dict[str, str]] = {
    # Seen in the real E0 2020/21 pages: the match centre says "Man Utd", the fixtures feed the full names.
    "Man Utd": "Man United",
    "Manchester United": "Man United",
    "Manchester City": "Man City",
    "West Bromwich Albion": "West Brom",
    # Full names of English clubs that football-data shortens: right whichever page uses them.
    "Nottingham Forest": "Nott'm Forest",
    "Sheffield Wednesday": "Sheffield Weds",
    "Queens Park Rangers": "QPR",
    "Wolverhampton Wanderers": "Wolves",
    "Brighton & Hove Albion": "Brighton",
    "Tottenham Hotspur": "Tottenham",
    "Newcastle United": "Newcastle",
    "Leicester City": "Leicester",
    "Leeds United": "Leeds",
    "West Ham United": "West Ham",
}

_MATCH_URL: Final = re.compile(r"/Matches/(?P<id>\d+)(?:/[A-Za-z]+)?(?:/(?P<slug>[^/?#]+))?", re.IGNORECASE)
_SLUG_SEASON: Final = re.compile(r"^(?P<competition>.+?)-(?P<start>(?:19|20)\d\d)-(?P<end>(?:19|20)\d\d)(?:-|$)")
_NON_ALNUM: Final = re.compile(r"[^0-9A-Za-z]+")


def _slug(text: str) -> str:
    return _NON_ALNUM.sub("-", text).strip("-")


def division_of(competition: str, *, where: str) -> str:
    """football-data division of a WhoScored "<Region>-<Tournament>" (any case, spaces or dashes).

    Raises :class:`SourceParseError` naming ``where`` and the known tournaments when it is not in the table.
    """
    wanted = _slug(competition).lower()
    for name, div in WHOSCORED_TOURNAMENTS.items():
        if name.lower() == wanted:
            return div
    known = ", ".join(f"{name} ({div})" for name, div in WHOSCORED_TOURNAMENTS.items())
    raise SourceParseError(
        f"unknown WhoScored tournament {_slug(competition)!r} in {where}: known are {known}; "
        "add it to WHOSCORED_TOURNAMENTS or pass the division (--div)"
    )


def _slug_parts(url: str) -> tuple[str | None, str | None]:
    """(competition, season code) from a match URL's ``…/Matches/<id>/Live/<Region>-<Tournament>-<YYYY>-<YYYY>-…``.

    (None, None) without a slug; the whole slug as the competition when no season is in it and no known
    tournament starts it (so the unknown-tournament error can show it).
    """
    match = _MATCH_URL.search(url)
    slug = match["slug"] if match else None
    if not slug:
        return None, None
    season_match = _SLUG_SEASON.match(slug)
    if season_match and int(season_match["end"]) == int(season_match["start"]) + 1:
        start, end = int(season_match["start"]), int(season_match["end"])
        return season_match["competition"], f"{start % 100:02d}{end % 100:02d}"
    known = [name for name in WHOSCORED_TOURNAMENTS if slug.lower().startswith(name.lower() + "-")]
    return (known[0] if known else slug), None


def _season_name_code(name: str) -> str | None:
    """ "2020/2021" -> "2021"; None for a calendar-year or unreadable season name."""
    years = re.fullmatch(r"\s*((?:19|20)\d\d)\s*/\s*((?:19|20)\d\d)\s*", name or "")
    if not years or int(years[2]) != int(years[1]) + 1:
        return None
    return f"{int(years[1]) % 100:02d}{int(years[2]) % 100:02d}"


def whoscored_team_names(base: TeamNames | None = None) -> TeamNames:
    """The alias map for WhoScored pages: ``base`` (default: the shipped map) plus :data:`WHOSCORED_TEAM_ALIASES`."""
    base = base if base is not None else default_team_names()
    return TeamNames([*base.aliases().items(), *WHOSCORED_TEAM_ALIASES.items()])


def _match_id(div: str, day: pd.Timestamp, home: str, away: str) -> str:
    """The football-data match id: ``<div>-<yyyymmdd>-<home slug>-<away slug>`` over canonical names."""
    return f"{div}-{day:%Y%m%d}-{team_slug(home)}-{team_slug(away)}"
