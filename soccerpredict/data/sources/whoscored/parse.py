"""A WhoScored page (a match centre, a bare ``matchCentreData`` JSON or a fixtures feed) to football-data's tables.

:func:`parse_page` turns a page into parsed files keyed like football-data's: the same division codes,
season codes, canonical team names and match ids.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Final, Literal
from zoneinfo import ZoneInfo

import pandas as pd

from soccerpredict.data.columns import FINISHED, MATCH_COLUMNS, ODDS_COLUMNS, SCHEDULED, STAT_COLUMNS
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.sources.football_data import season_of
from soccerpredict.data.sources.whoscored.centre import (
    MATCH_CENTRE_KEY,
    STATUS_FINISHED,
    STATUS_SCHEDULED,
    MatchCentre,
    extract_match_centre,
    parse_match_centre,
)
from soccerpredict.data.sources.whoscored.names import (
    _match_id,
    _season_name_code,
    _slug_parts,
    division_of,
    whoscored_team_names,
)
from soccerpredict.data.teams import TeamNames
from soccerpredict.errors import PageLayoutError, SourceParseError

__all__ = ["READY_MARKERS", "PageKind", "ParsedPage", "match_centre_file", "parse_fixtures_feed", "parse_page"]

#: football-data dates and kick-off times are UK time.
UK: Final = "Europe/London"
#: Text one of which a loaded WhoScored page holds once its data is there: a match centre or a fixtures feed.
READY_MARKERS: Final = (MATCH_CENTRE_KEY, '"tournaments"')
PageKind = Literal["match-centre", "fixtures"]


def _outcome(home: int | None, away: int | None) -> str | None:
    if home is None or away is None:
        return None
    return "H" if home > away else "A" if home < away else "D"


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
