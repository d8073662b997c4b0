"""A match-centre page's ``matchCentreData``: found in the page (:func:`extract_match_centre`), then read.

Teams, score, team statistics and events, as WhoScored records them (:func:`parse_match_centre`); pure:
page text in, :class:`MatchCentre` out.
"""

from __future__ import annotations

import html as html_lib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from soccerpredict.data.columns import FINISHED, SCHEDULED
from soccerpredict.errors import PageLayoutError, SourceParseError

__all__ = [
    "MATCH_CENTRE_KEY",
    "MatchCentre",
    "MatchEvent",
    "TeamSheet",
    "extract_match_centre",
    "parse_match_centre",
]

MATCH_CENTRE_KEY: Final = "matchCentreData"
#: ``matchCentreData`` as a key or variable, then the start of its value.
_MATCH_CENTRE_VALUE: Final = re.compile(r"""["']?matchCentreData["']?\s*[:=]\s*""")
_SCORE: Final = re.compile(r"^\s*(?P<home>\d+)\s*:\s*(?P<away>\d+)\s*$")
#: WhoScored's status codes that map onto the schema; anything else (in play, postponed, abandoned) is rejected.
STATUS_SCHEDULED: Final = 1
STATUS_FINISHED: Final = 6


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
