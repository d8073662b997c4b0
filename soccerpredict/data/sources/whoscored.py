"""WhoScored: match-centre pages and season fixtures feeds, parsed into the football-data tables.

Pure (page text in, :class:`ParsedFile` out; no browser, network, files or database):
:func:`extract_match_centre` finds the ``matchCentreData`` object a match-centre page embeds in an inline
script, :func:`parse_match_centre` reads teams, score, team statistics and events from it, :func:`parse_page`
turns a page (or a fixtures feed) into parsed files keyed like football-data's: the same division codes
(:data:`WHOSCORED_TOURNAMENTS`), season codes, canonical team names (:data:`WHOSCORED_TEAM_ALIASES` on top of
the shipped map) and match ids. :func:`merge_with_existing` decides what a parsed file becomes over the rows
already stored: football-data.co.uk stays the reference, so a match it already finished keeps its values,
WhoScored only fills what is missing (and disagreements are reported), and scraping a match never changes a
football-data row.

The edges are elsewhere: :mod:`soccerpredict.data.sources.browser` loads pages in Chromium,
:mod:`soccerpredict.data.whoscored_ingest` reads, parses and loads them with the repository.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import pandas as pd

from soccerpredict.data.columns import FINISHED, MATCH_COLUMNS, ODDS_COLUMNS, SCHEDULED, STAT_COLUMNS
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.sources.football_data import season_of
from soccerpredict.data.teams import TeamNames, default_team_names, team_slug
from soccerpredict.errors import PageLayoutError, SourceParseError

__all__ = [
    "MATCH_CENTRE_KEY",
    "READY_MARKERS",
    "WHOSCORED_TEAM_ALIASES",
    "WHOSCORED_TOURNAMENTS",
    "MatchCentre",
    "MatchEvent",
    "PageKind",
    "ParsedPage",
    "TeamSheet",
    "division_of",
    "extract_match_centre",
    "match_centre_file",
    "merge_with_existing",
    "parse_fixtures_feed",
    "parse_match_centre",
    "parse_page",
    "whoscored_team_names",
]

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

MATCH_CENTRE_KEY: Final = "matchCentreData"
#: ``matchCentreData`` as a key or variable, then the start of its value.
_MATCH_CENTRE_VALUE: Final = re.compile(r"""["']?matchCentreData["']?\s*[:=]\s*""")
_MATCH_URL: Final = re.compile(r"/Matches/(?P<id>\d+)(?:/[A-Za-z]+)?(?:/(?P<slug>[^/?#]+))?", re.IGNORECASE)
_SLUG_SEASON: Final = re.compile(r"^(?P<competition>.+?)-(?P<start>(?:19|20)\d\d)-(?P<end>(?:19|20)\d\d)(?:-|$)")
_SCORE: Final = re.compile(r"^\s*(?P<home>\d+)\s*:\s*(?P<away>\d+)\s*$")
_NON_ALNUM: Final = re.compile(r"[^0-9A-Za-z]+")
#: WhoScored's status codes that map onto the schema; anything else (in play, postponed, abandoned) is rejected.
STATUS_SCHEDULED: Final = 1
STATUS_FINISHED: Final = 6
#: football-data dates and kick-off times are UK time.
UK: Final = "Europe/London"
#: Text one of which a loaded WhoScored page holds once its data is there: a match centre or a fixtures feed.
READY_MARKERS: Final = (MATCH_CENTRE_KEY, '"tournaments"')
PageKind = Literal["match-centre", "fixtures"]


# ------------------------------------------------------------------------------------ names and codes


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


def _outcome(home: int | None, away: int | None) -> str | None:
    if home is None or away is None:
        return None
    return "H" if home > away else "A" if home < away else "D"


# ------------------------------------------------------------------------------------ the match centre


@dataclass(frozen=True, slots=True)
class TeamSheet:
    """One team's side of a match centre: name, goals and team statistics (None where the page has none)."""

    name: str
    team_id: int
    goals: int | None
    half_time_goals: int | None
    shots: int | None
    shots_on_target: int | None
    shots_off_target: int | None
    shots_blocked: int | None
    #: Share of the match's per-minute possession counts, in percent.
    possession: float | None
    passes: int | None
    passes_accurate: int | None
    corners: int | None
    fouls: int | None
    offsides: int | None
    yellow: int
    red: int


@dataclass(frozen=True, slots=True)
class MatchEvent:
    """One on-ball or match event (pass, shot, card, substitution…), as WhoScored records it."""

    minute: int
    second: int | None
    period: str
    side: str  # "home", "away" or "" for events of no team
    type: str
    outcome: str | None
    player: str | None
    card: str | None
    x: float | None
    y: float | None


@dataclass(frozen=True, slots=True)
class MatchCentre:
    """What a match-centre page knows about one match."""

    #: Kick-off as the page's ``startTime`` gives it, without a time zone (UK time in the E0 pages checked).
    kickoff: datetime
    status_code: int
    elapsed: str
    home: TeamSheet
    away: TeamSheet
    #: football-data's spelling: first initial and surname ("K Friend").
    referee: str | None
    venue: str | None
    events: tuple[MatchEvent, ...]

    @property
    def status(self) -> str | None:
        """``"finished"``, ``"scheduled"`` or None (in play, postponed, abandoned: not loaded)."""
        has_score = self.home.goals is not None and self.away.goals is not None
        if self.status_code == STATUS_FINISHED and has_score:
            return FINISHED
        if self.status_code == STATUS_SCHEDULED and not has_score:
            return SCHEDULED
        return None


def extract_match_centre(page: str, *, url: str) -> dict[str, Any]:
    """The ``matchCentreData`` object embedded in a match-centre page's inline script.

    Raises :class:`PageLayoutError` saying what was expected when the page has no such object (the layout
    changed, or the page is a preview, a consent wall or a bot check), :class:`SourceParseError` when the
    object is ``null`` (WhoScored has no match centre for that match yet).
    """
    found = [m.end() for m in _MATCH_CENTRE_VALUE.finditer(page)]
    if not found:
        raise PageLayoutError(
            f"no {MATCH_CENTRE_KEY} in {url}: expected a script containing "
            f"'{MATCH_CENTRE_KEY}: {{…}}' (page title {_title(page)!r}); the layout changed or this is not "
            "a match-centre page"
        )
    decoder = json.JSONDecoder()
    errors: list[str] = []
    for start in found:
        try:
            value, _ = decoder.raw_decode(page, start)
        except json.JSONDecodeError as exc:
            errors.append(f"{exc.msg} at character {exc.pos}")
            continue
        if isinstance(value, dict):
            return value
        errors.append("null" if value is None else f"a {type(value).__name__}, not an object")
    if errors and set(errors) == {"null"}:
        raise SourceParseError(f"{MATCH_CENTRE_KEY} in {url} is null: WhoScored has no match centre for it yet")
    raise PageLayoutError(f"{MATCH_CENTRE_KEY} in {url} is not a JSON object: {'; '.join(errors)}")


def _title(page: str) -> str:
    found = re.search(r"<title[^>]*>(.*?)</title>", page, re.IGNORECASE | re.DOTALL)
    return " ".join(html_lib.unescape(found[1]).split()) if found else ""


def _required(data: Mapping[str, Any], path: str, url: str) -> Any:
    """``data[a][b]…`` for a dotted path; :class:`PageLayoutError` naming the path when it is missing."""
    value: Any = data
    for key in path.split("."):
        if not isinstance(value, Mapping) or key not in value:
            raise PageLayoutError(
                f"{MATCH_CENTRE_KEY} in {url} has no {path!r}: expected it in the match-centre JSON; the layout changed"
            )
        value = value[key]
    return value


def parse_match_centre(data: Mapping[str, Any], *, url: str) -> MatchCentre:
    """Teams, score, team statistics and events of a ``matchCentreData`` object."""
    start = _required(data, "startTime", url)
    try:
        kickoff = datetime.fromisoformat(str(start))
    except ValueError as exc:
        raise PageLayoutError(f"{MATCH_CENTRE_KEY} in {url}: startTime {start!r} is not an ISO date-time") from exc
    home_goals, away_goals = _score(data.get("ftScore") or data.get("score"))
    half_home, half_away = _score(data.get("htScore"))
    teams = {side: _required(data, side, url) for side in ("home", "away")}
    ids = {int(_required(data, f"{side}.teamId", url)): side for side in teams}
    names = {side: str(_required(data, f"{side}.name", url)) for side in teams}
    events = tuple(_events(data.get("events") or [], ids, data.get("playerIdNameDictionary") or {}))
    cards = {side: _cards(events, side) for side in teams}
    possession = _shares({side: _stat_total(teams[side].get("stats") or {}, "possession") for side in teams})
    sheets = {
        side: _team_sheet(
            teams[side],
            name=names[side],
            goals=home_goals if side == "home" else away_goals,
            half_time=half_home if side == "home" else half_away,
            possession=possession[side],
            cards=cards[side],
        )
        for side in teams
    }
    return MatchCentre(
        kickoff=kickoff,
        status_code=int(data.get("statusCode") or 0),
        elapsed=str(data.get("elapsed") or ""),
        home=sheets["home"],
        away=sheets["away"],
        referee=_referee(data.get("referee")),
        venue=data.get("venueName") or None,
        events=events,
    )


def _score(text: Any) -> tuple[int | None, int | None]:
    match = _SCORE.match(str(text or ""))
    return (int(match["home"]), int(match["away"])) if match else (None, None)


def _stat_total(stats: Mapping[str, Any], key: str) -> int | None:
    """Sum of a per-minute statistic; 0 when the team has statistics but none of this kind, None without any."""
    if not stats:
        return None
    per_minute = stats.get(key) or {}
    return round(sum(float(v) for v in per_minute.values()))


def _shares(counts: Mapping[str, int | None]) -> dict[str, float | None]:
    """Each side's share of the counts, in percent (one decimal); None when a side has none."""
    total = sum(v for v in counts.values() if v is not None)
    return {side: round(100 * v / total, 1) if v is not None and total else None for side, v in counts.items()}


def _team_sheet(
    team: Mapping[str, Any],
    *,
    name: str,
    goals: int | None,
    half_time: int | None,
    possession: float | None,
    cards: tuple[int, int],
) -> TeamSheet:
    stats = team.get("stats") or {}
    return TeamSheet(
        name=name,
        team_id=int(team["teamId"]),
        goals=goals,
        half_time_goals=half_time,
        shots=_stat_total(stats, "shotsTotal"),
        shots_on_target=_stat_total(stats, "shotsOnTarget"),
        shots_off_target=_stat_total(stats, "shotsOffTarget"),
        shots_blocked=_stat_total(stats, "shotsBlocked"),
        possession=possession,
        passes=_stat_total(stats, "passesTotal"),
        passes_accurate=_stat_total(stats, "passesAccurate"),
        corners=_stat_total(stats, "cornersTotal"),
        fouls=_stat_total(stats, "foulsCommited"),  # sic: WhoScored's key
        offsides=_stat_total(stats, "offsidesCaught"),
        yellow=cards[0],
        red=cards[1],
    )


def _display(value: Any) -> str | None:
    return str(value["displayName"]) if isinstance(value, Mapping) and "displayName" in value else None


def _events(
    raw: Iterable[Mapping[str, Any]], sides: Mapping[int, str], players: Mapping[str, str]
) -> Iterator[MatchEvent]:
    for event in raw:
        player_id = event.get("playerId")
        yield MatchEvent(
            minute=int(event.get("minute") or 0),
            second=int(event["second"]) if event.get("second") is not None else None,
            period=_display(event.get("period")) or "",
            side=sides.get(int(event.get("teamId") or 0), ""),
            type=_display(event.get("type")) or "",
            outcome=_display(event.get("outcomeType")),
            player=players.get(str(player_id)) if player_id is not None else None,
            card=_display(event.get("cardType")),
            x=float(event["x"]) if event.get("x") is not None else None,
            y=float(event["y"]) if event.get("y") is not None else None,
        )


def _cards(events: Iterable[MatchEvent], side: str) -> tuple[int, int]:
    """(yellow, red) cards of a side; a second yellow counts as a red (its first yellow is already counted)."""
    cards = [e.card for e in events if e.side == side and e.type == "Card"]
    return sum(c == "Yellow" for c in cards), sum(c in ("Red", "SecondYellow") for c in cards)


def _referee(referee: Any) -> str | None:
    if not isinstance(referee, Mapping):
        return None
    first, last = str(referee.get("firstName") or "").strip(), str(referee.get("lastName") or "").strip()
    if first and last:
        return f"{first[0]} {last}"
    return str(referee.get("name") or "").strip() or None


# ---------------------------------------------------------------------------------- parsed files


@dataclass(slots=True)
class ParsedPage:
    """A page parsed into files for the repository, and what else it had."""

    kind: PageKind
    files: list[ParsedFile]
    #: WhoScored spelling -> canonical name, for the names on this page that differ (saved as aliases).
    aliases: dict[str, str] = field(default_factory=dict)
    #: The full match centre (statistics beyond the schema, events); None for a fixtures feed.
    centre: MatchCentre | None = None


def _match_row(
    *,
    div: str,
    season: str,
    kickoff: datetime,
    home: str,
    away: str,
    status: str,
    line: int,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    day = pd.Timestamp(kickoff.date())
    row: dict[str, Any] = dict.fromkeys(MATCH_COLUMNS)
    row |= {
        "match_id": _match_id(div, day, home, away),
        "div": div,
        "season": season,
        "date": day,
        "kickoff_time": f"{kickoff:%H:%M}",
        "home_team": home,
        "away_team": away,
        "status": status,
        "line": line,
    }
    return row | dict(values)


def _parsed_file(
    rows: list[dict[str, Any]], *, source: str, div: str, season: str, rejections: list[Rejection]
) -> ParsedFile:
    frame = pd.DataFrame.from_records(rows, columns=[*MATCH_COLUMNS, "line"])
    frame["date"] = pd.to_datetime(frame["date"])
    for column in ("fthg", "ftag", "hthg", "htag", *STAT_COLUMNS):
        frame[column] = pd.array(frame[column].tolist(), dtype="Int64")
    # The checksum covers what is loaded, so a re-scrape of an unchanged match is skipped (and only then).
    checksum = hashlib.sha256(frame.to_csv(index=False).encode("utf-8")).hexdigest()
    return ParsedFile(
        source=source,
        checksum=checksum,
        div=div,
        season=season,
        matches=frame,
        odds=pd.DataFrame(columns=list(ODDS_COLUMNS)),
        rejections=rejections,
    )


def match_centre_file(
    centre: MatchCentre, *, source: str, div: str, season: str | None, teams: TeamNames
) -> tuple[ParsedFile, dict[str, str]]:
    """One match-centre page as a parsed file (one match row, or one rejection) and the aliases it used."""
    home, away = teams.canonical(centre.home.name), teams.canonical(centre.away.name)
    aliases = {raw: name for raw, name in ((centre.home.name, home), (centre.away.name, away)) if raw != name}
    season = season or season_of(pd.Timestamp(centre.kickoff))
    status = centre.status
    if status is None:
        reason = (
            f"{centre.home.name} v {centre.away.name} on {centre.kickoff:%Y-%m-%d}: status {centre.status_code} "
            f"({centre.elapsed!r}) is neither finished ({STATUS_FINISHED}) nor scheduled ({STATUS_SCHEDULED})"
        )
        return _parsed_file([], source=source, div=div, season=season, rejections=[Rejection(source, 1, reason)]), {}
    h, a = centre.home, centre.away
    values = {
        "fthg": h.goals,
        "ftag": a.goals,
        "hthg": h.half_time_goals,
        "htag": a.half_time_goals,
        "ftr": _outcome(h.goals, a.goals),
        "htr": _outcome(h.half_time_goals, a.half_time_goals),
        "referee": centre.referee,
    }
    if status == FINISHED:
        for prefix, sheet in (("home", h), ("away", a)):
            values |= {
                f"{prefix}_shots": sheet.shots,
                f"{prefix}_shots_on_target": sheet.shots_on_target,
                f"{prefix}_fouls": sheet.fouls,
                f"{prefix}_corners": sheet.corners,
                f"{prefix}_yellow": sheet.yellow,
                f"{prefix}_red": sheet.red,
            }
    row = _match_row(
        div=div, season=season, kickoff=centre.kickoff, home=home, away=away, status=status, line=1, values=values
    )
    return _parsed_file([row], source=source, div=div, season=season, rejections=[]), aliases


def parse_fixtures_feed(
    feed: Mapping[str, Any],
    *,
    source: str,
    teams: TeamNames,
    div: str | None = None,
    season: str | None = None,
) -> tuple[list[ParsedFile], dict[str, str]]:
    """A season fixtures feed as parsed files (one per tournament): results, and fixtures still to play.

    Finished matches carry the score and cards (all the feed has); scheduled ones no result; matches in any
    other state (in play, postponed…) are rejected with their status. ``line`` is the match's 1-based
    position in the feed.
    """
    tournaments = feed.get("tournaments")
    if not isinstance(tournaments, list):
        raise PageLayoutError(f"fixtures feed {source} has no 'tournaments' list: expected WhoScored's feed JSON")
    files: list[ParsedFile] = []
    aliases: dict[str, str] = {}
    line = 0
    for tournament in tournaments:
        competition = f"{tournament.get('regionName', '')} {tournament.get('tournamentName', '')}"
        file_div = div or division_of(competition, where=source)
        file_season = season or _season_name_code(str(tournament.get("seasonName") or ""))
        rows: list[dict[str, Any]] = []
        rejections: list[Rejection] = []
        for match in tournament.get("matches") or []:
            line += 1
            row, rejection = _feed_row(match, div=file_div, season=file_season, line=line, source=source, teams=teams)
            if row is not None:
                rows.append(row)
                for side in ("home", "away"):
                    raw = str(match[f"{side}TeamName"])
                    if teams.canonical(raw) != raw:
                        aliases[raw] = teams.canonical(raw)
            if rejection is not None:
                rejections.append(rejection)
        if not rows and not rejections:
            continue
        seasons = sorted({r["season"] for r in rows}) or [file_season or "????"]
        files.append(_parsed_file(rows, source=source, div=file_div, season=seasons[0], rejections=rejections))
    if len(files) > 1:  # one log entry per file: the checksum skip must not confuse two tournaments
        files = [replace(f, source=f"{source}#{f.div}-{f.season}") for f in files]
    return files, aliases


def _feed_row(
    match: Mapping[str, Any], *, div: str, season: str | None, line: int, source: str, teams: TeamNames
) -> tuple[dict[str, Any] | None, Rejection | None]:
    try:
        home_raw, away_raw = str(match["homeTeamName"]), str(match["awayTeamName"])
        utc = match.get("startTimeUtc")
        kickoff = (
            datetime.fromisoformat(str(utc).replace("Z", "+00:00")).astimezone(ZoneInfo(UK)).replace(tzinfo=None)
            if utc
            else datetime.fromisoformat(str(match["startTime"]))
        )
    except (KeyError, ValueError) as exc:
        return None, Rejection(source, line, f"unreadable fixture: {exc!r}")
    status_code = int(match.get("status") or 0)
    goals = [match.get("homeScore"), match.get("awayScore")]
    finished = status_code == STATUS_FINISHED and None not in goals
    scheduled = status_code == STATUS_SCHEDULED and goals == [None, None]
    if not (finished or scheduled):
        reason = (
            f"{home_raw} v {away_raw} on {kickoff:%Y-%m-%d}: status {status_code} ({match.get('elapsed')!r}) "
            f"is neither finished ({STATUS_FINISHED}) nor scheduled ({STATUS_SCHEDULED})"
        )
        return None, Rejection(source, line, reason)
    values: dict[str, Any] = {}
    if finished:
        home_goals, away_goals = (int(g or 0) for g in goals)  # both present: checked above
        values = {
            "fthg": home_goals,
            "ftag": away_goals,
            "ftr": _outcome(home_goals, away_goals),
            "home_yellow": match.get("homeYellowCards"),
            "away_yellow": match.get("awayYellowCards"),
            "home_red": match.get("homeRedCards"),
            "away_red": match.get("awayRedCards"),
        }
    row = _match_row(
        div=div,
        season=season or season_of(pd.Timestamp(kickoff)),
        kickoff=kickoff,
        home=teams.canonical(home_raw),
        away=teams.canonical(away_raw),
        status=FINISHED if finished else SCHEDULED,
        line=line,
        values=values,
    )
    return row, None


def _json_document(page: str) -> Any:
    """The JSON a page is (raw, or as Chromium shows a JSON response: inside ``<pre>``); None if it is not."""
    text = page.strip()
    if not text.startswith(("{", "[")):
        found = re.search(r"<pre[^>]*>(.*?)</pre>", page, re.IGNORECASE | re.DOTALL)
        if not found:
            return None
        text = html_lib.unescape(found[1]).strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def parse_page(
    page: str,
    *,
    source: str,
    teams: TeamNames | None = None,
    div: str | None = None,
    season: str | None = None,
) -> ParsedPage:
    """A match-centre page, a bare ``matchCentreData`` JSON or a fixtures feed, parsed for the repository.

    The division comes from ``div``, else the tournament in the URL slug (match centre) or in the feed; the
    season from ``season``, else the slug or feed, else the kick-off date (seasons start on 1 July).
    """
    try:
        return _parse_page(page, source=source, teams=teams, div=div, season=season)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a value of an unexpected type or shape
        raise PageLayoutError(f"{source} has an unexpected shape ({exc!r}); the layout changed") from exc


def _parse_page(page: str, *, source: str, teams: TeamNames | None, div: str | None, season: str | None) -> ParsedPage:
    teams = teams if teams is not None else whoscored_team_names()
    document = _json_document(page)
    if isinstance(document, dict) and "tournaments" in document:
        files, aliases = parse_fixtures_feed(document, source=source, teams=teams, div=div, season=season)
        return ParsedPage("fixtures", files, aliases)
    bare = isinstance(document, dict) and {"home", "away"} <= document.keys()
    data = document if bare else extract_match_centre(page, url=source)
    competition, url_season = _slug_parts(source)
    file_div = div or (division_of(competition, where=source) if competition else None)
    if file_div is None:
        raise SourceParseError(
            f"cannot tell the competition of {source}: its URL has no "
            "'/Matches/<id>/Live/<Region>-<Tournament>-<YYYY>-<YYYY>-…' slug and the match centre does not "
            "name it; pass the division (--div E0) and season (--season 2021)"
        )
    centre = parse_match_centre(data, url=source)
    parsed, aliases = match_centre_file(centre, source=source, div=file_div, season=season or url_season, teams=teams)
    return ParsedPage("match-centre", [parsed], aliases, centre)


# ------------------------------------------------------------------------- merging with the database


def merge_with_existing(
    parsed: ParsedFile, existing: pd.DataFrame, existing_odds: pd.DataFrame
) -> tuple[ParsedFile, list[str]]:
    """The parsed file as it should be loaded over what the database already has, and every disagreement.

    A match the database has as finished keeps its values (football-data is the reference); WhoScored only
    fills its missing ones. A scheduled match takes WhoScored's values. The matches' stored odds are carried
    along, because loading a file replaces the odds of its matches.
    """
    known = existing.set_index("match_id") if len(existing) else None
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for row in _records(parsed.matches):
        old = _row(known, row["match_id"]) if known is not None and row["match_id"] in known.index else None
        if old is None:
            rows.append(row)
            continue
        first, second = (old, row) if old["status"] == FINISHED else (row, old)
        merged = {
            column: first.get(column) if pd.notna(first.get(column)) else second.get(column) for column in MATCH_COLUMNS
        }
        merged |= {"match_id": row["match_id"], "line": row["line"]}
        if old["status"] == FINISHED:
            notes += _disagreements(row, old)
        rows.append(merged)
    matches = pd.DataFrame.from_records(rows, columns=[*MATCH_COLUMNS, "line"]) if rows else parsed.matches
    for column in ("fthg", "ftag", "hthg", "htag", *STAT_COLUMNS):
        matches[column] = pd.array(pd.to_numeric(matches[column]).tolist(), dtype="Int64")
    odds = parsed.odds
    if len(existing_odds):
        odds = existing_odds.loc[existing_odds["match_id"].isin(set(matches["match_id"]))].reset_index(drop=True)
    return replace(parsed, matches=matches, odds=odds), notes


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(key): value for key, value in record.items()} for record in frame.to_dict("records")]


def _row(frame: pd.DataFrame, key: str) -> dict[str, Any]:
    return {str(column): value for column, value in frame.loc[key].items()}


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (for messages)."""
    return value.item() if hasattr(value, "item") else value


#: Columns compared between WhoScored and the stored row (the identity is the match id itself).
_COMPARED: Final = ("kickoff_time", "fthg", "ftag", "hthg", "htag", "referee", *STAT_COLUMNS)


def _disagreements(new: Mapping[str, Any], old: Mapping[str, Any]) -> list[str]:
    notes = []
    for column in _COMPARED:
        a, b = _plain(new.get(column)), _plain(old.get(column))
        if pd.notna(a) and pd.notna(b) and a != b:
            notes.append(f"{new['match_id']} {column}: kept {b!r} from the database, WhoScored says {a!r}")
    return notes
