"""Parse one football-data.co.uk file into a :class:`ParsedFile`: matches, long-form odds and rejections.

Parsing is pure (bytes in, frames and rejections out) and vectorised with pandas/numpy. A row or a
bookmaker's prices that cannot be used become a :class:`Rejection` with its line and reason.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from typing import Final

import numpy as np
import pandas as pd

from soccerpredict.data.columns import FINISHED, MATCH_COLUMNS, ODDS_COLUMNS, OUTCOMES, SCHEDULED, STAT_SOURCE_COLUMNS
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.sources.football_data.odds import _odds_reason, _price_verdicts, odds_triples
from soccerpredict.data.sources.football_data.rows import GOALS, _check_rows, _int64, _Reasons, _Rows
from soccerpredict.data.sources.football_data.table import _decode, _Numbers, _read_table, _Table
from soccerpredict.data.teams import TeamNames, default_team_names, team_slug
from soccerpredict.errors import SourceParseError

__all__ = ["divisions_in", "parse_football_data", "season_of"]

_REQUIRED: Final = ("Date", "HomeTeam", "AwayTeam")
_TIME: Final = re.compile(r"(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::[0-5]\d)?")


def _file_div(table: _Table, div: str | None, source: str) -> str:
    if div:
        return div
    filled = Counter(code for code in table.text("Div").tolist() if code)
    if not filled:
        raise SourceParseError(
            f"{source}: cannot tell the division: no Div values; name the file <DIV>/<SEASON>.csv or pass div"
        )
    return filled.most_common(1)[0][0]


def season_of(date: pd.Timestamp) -> str:
    """football-data's season code of a date; seasons start on 1 July (2019-08-09 -> ``"1920"``)."""
    start = date.year if date.month >= 7 else date.year - 1
    return f"{start % 100:02d}{(start + 1) % 100:02d}"


def _match_ids(file_div: str, rows: _Rows) -> np.ndarray:
    """``<div>-<yyyymmdd>-<home slug>-<away slug>``; "" where the date is missing (those rows are rejected)."""
    slugs = {name: team_slug(name) for name in {*rows.home.tolist(), *rows.away.tolist()} if name}
    home = np.array([slugs.get(name, "") for name in rows.home.tolist()], dtype=object)
    away = np.array([slugs.get(name, "") for name in rows.away.tolist()], dtype=object)
    ids: np.ndarray = f"{file_div}-" + rows.days + "-" + home + "-" + away
    ids[rows.days == ""] = ""
    return ids


def _reject_duplicates(match_ids: np.ndarray, lines: np.ndarray, reasons: _Reasons) -> None:
    """The first valid row of a match id is kept; later ones are rejected, naming the line of the first."""
    ok = reasons.ok
    repeated = pd.Series(match_ids[ok]).duplicated().to_numpy()
    if not repeated.any():
        return
    first_line = dict(zip(match_ids[ok][::-1], lines[ok][::-1], strict=True))
    duplicated = np.zeros(len(match_ids), dtype=bool)
    duplicated[np.flatnonzero(ok)[repeated]] = True
    reasons.flag(
        duplicated,
        lambda i: [f"duplicate match: {match_ids[j]} is already on line {first_line[match_ids[j]]}" for j in i],
    )


def _file_season(season: str | None, dates: np.ndarray, row_div: np.ndarray, file_div: str, source: str) -> str:
    """The given season, else the season of the earliest date among the file's own division's rows."""
    if season:
        return season
    # Rows rejected for other reasons (a bad score) still date the file: a file of one broken row has a season.
    usable = dates[((row_div == "") | (row_div == file_div)) & ~np.isnat(dates)]
    if not usable.size:
        raise SourceParseError(
            f"{source}: cannot tell the season: no row has a valid date; name the file <DIV>/<SEASON>.csv or pass it"
        )
    return season_of(pd.Timestamp(usable.min()))


def _match_frame(table: _Table, rows: _Rows, file_div: str, season: str, match_ids: np.ndarray) -> pd.DataFrame:
    keep = rows.reasons.ok
    counts = rows.counts.values[keep]
    frame = pd.DataFrame(
        {
            "match_id": match_ids[keep],
            "div": file_div,
            "season": season,
            "date": rows.dates[keep],
            "kickoff_time": _kickoff_times(table.text("Time")[keep]),
            "home_team": rows.home[keep],
            "away_team": rows.away[keep],
            "status": np.where(rows.scheduled[keep], SCHEDULED, FINISHED).astype(object),
            **{name: _int64(counts[:, k]) for k, name in enumerate(("fthg", "ftag", "hthg", "htag"))},
            "ftr": _or_none(rows.ftr[keep]),
            "htr": _outcome_or_none(table.text("HTR")[keep]),
            "referee": _or_none(table.text("Referee")[keep]),
            # A statistic that is not a count (none in the archive) is left missing: it never rejects a row.
            **{name: _int64(counts[:, len(GOALS) + k]) for k, name in enumerate(STAT_SOURCE_COLUMNS.values())},
            "line": table.lines[keep],
        },
        columns=[*MATCH_COLUMNS, "line"],
    )
    return frame


def _kickoff_times(values: np.ndarray) -> np.ndarray:
    """ "HH:MM" (hours zero-padded, seconds dropped); None where the cell is empty or not a time of day."""
    times = np.full(len(values), None, dtype=object)
    for k, value in enumerate(values.tolist()):
        if value and (match := _TIME.fullmatch(value)):
            times[k] = f"{int(match['h']):02d}:{match['m']}"
    return times


def _or_none(values: np.ndarray) -> np.ndarray:
    out = values.astype(object, copy=True)
    out[values == ""] = None
    return out


def _outcome_or_none(values: np.ndarray) -> np.ndarray:
    out = values.astype(object, copy=True)
    out[~np.isin(values, OUTCOMES)] = None
    return out


def _odds(table: _Table, keep: np.ndarray, match_ids: np.ndarray, source: str) -> tuple[pd.DataFrame, list[Rejection]]:
    """Long-form prices of the kept rows, all bookmakers at once (rows x triples x 3 arrays)."""
    triples = odds_triples(table.header)
    numbers = table.numbers([column for triple in triples for column in triple.columns])
    if not keep.all():
        numbers = _Numbers(numbers.values[keep], numbers.filled[keep], numbers.raw[keep])
    shape = (int(keep.sum()), len(triples), 3)
    prices, filled, raw = numbers.values.reshape(shape), numbers.filled.reshape(shape), numbers.raw.reshape(shape)
    verdict = _price_verdicts(triples, prices, filled)
    row, book = np.nonzero(verdict == 0)
    odds = pd.DataFrame(
        {
            "match_id": match_ids[keep][row],
            "bookmaker": np.array([t.bookmaker for t in triples], dtype=object)[book],
            "kind": np.array([t.kind for t in triples], dtype=object)[book],
            "home": prices[row, book, 0],
            "draw": prices[row, book, 1],
            "away": prices[row, book, 2],
        },
        columns=list(ODDS_COLUMNS),
    )
    lines = table.lines[keep]
    rejections = [
        Rejection(source, int(lines[r]), _odds_reason(triples[b], int(verdict[r, b]), raw[r, b], prices[r, b]), "odds")
        for r, b in zip(*np.nonzero(verdict > 0), strict=True)
    ]
    return odds, rejections


def divisions_in(content: bytes, *, source: str) -> list[str]:
    """The distinct non-empty ``Div`` values of a file, sorted (a multi-division file such as ``fixtures.csv``)."""
    table = _read_table(_decode(content, source), source)
    if not table.has("Div"):
        return []
    return sorted({code for code in table.text("Div").tolist() if code})


def parse_football_data(
    content: bytes,
    *,
    source: str,
    div: str | None = None,
    season: str | None = None,
    teams: TeamNames | None = None,
) -> ParsedFile:
    """Parse one football-data.co.uk CSV into matches, long-form odds and rejections.

    ``div``/``season`` default to the file's ``Div`` column and the season of its earliest date;
    ``teams`` to the shipped alias map. Raises :class:`SourceParseError` only when the file as a whole
    is unusable (no header, no Date/HomeTeam/AwayTeam column, no way to tell the division or season).
    """
    table = _read_table(_decode(content, source), source)
    missing = [name for name in _REQUIRED if not table.has(name)]
    if missing:
        raise SourceParseError(f"{source} is not a football-data.co.uk file: no {', '.join(missing)} column")
    file_div = _file_div(table, div, source)
    rows = _check_rows(table, file_div, teams if teams is not None else default_team_names())
    match_ids = _match_ids(file_div, rows)
    _reject_duplicates(match_ids, table.lines, rows.reasons)
    keep = rows.reasons.ok
    file_season = _file_season(season, rows.dates, table.text("Div"), file_div, source)
    odds, odds_rejections = _odds(table, keep, match_ids, source)
    row_rejections = [
        Rejection(source, int(table.lines[i]), str(rows.reasons.values[i])) for i in np.flatnonzero(~keep)
    ]
    return ParsedFile(
        source=source,
        checksum=hashlib.sha256(content).hexdigest(),
        div=file_div,
        season=file_season,
        matches=_match_frame(table, rows, file_div, file_season, match_ids),
        odds=odds,
        rejections=sorted(row_rejections + odds_rejections, key=lambda r: (r.line, r.scope != "row")),
        blank_rows=table.blank_rows,
    )
