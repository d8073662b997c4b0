"""The row rules: each data row's typed cells, and the reason of the first rule a row breaks.

A row that stops before the header's match columns end, and the last row of a file cut mid-line (no line
break after it), are rejected: a broken file never loads a partial row silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from soccerpredict.data.columns import STAT_SOURCE_COLUMNS
from soccerpredict.data.sources.football_data.table import _TEAM_COLUMNS, _Numbers, _Table
from soccerpredict.data.teams import TeamNames

__all__ = ["GOALS", "MATCH_SOURCE_COLUMNS", "TRUNCATED_ROW"]

#: Goal columns, in the order the parser reads them (full time first).
GOALS: Final = ("FTHG", "FTAG", "HTHG", "HTAG")
#: Every column read as the match itself. A row must reach the last of them in its header; only the betting
#: columns after them may be left off (the real 2000-2004 files drop a row's trailing empty prices).
MATCH_SOURCE_COLUMNS: Final = frozenset(
    {"Div", "Date", "Time", *_TEAM_COLUMNS, *GOALS, "FTR", "HTR", "Referee", *STAT_SOURCE_COLUMNS}
)
#: Cells a fixture leaves empty besides the full-time result: a row with any of them filled has been played.
_PLAYED_COLUMNS: Final = ("HTHG", "HTAG", "HTR", *STAT_SOURCE_COLUMNS)
TRUNCATED_ROW: Final = "truncated row: the file ends inside this row (no line break after it); re-download the file"
_DATE: Final = re.compile(r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4}|\d{2})")
_YEARS: Final = (1850, 2200)
_MAX_COUNT: Final = 2**31  # keeps "1e30" out of Int64 without inventing a plausibility rule


class _Reasons:
    """The first reason each row is rejected for (None = not rejected)."""

    def __init__(self, size: int) -> None:
        self.values = np.full(size, None, dtype=object)

    @property
    def ok(self) -> np.ndarray:
        """Rows no rule has rejected yet."""
        return pd.isna(self.values)

    def flag(self, mask: npt.ArrayLike, describe: Callable[[np.ndarray], list[str]]) -> None:
        """Reject the rows of ``mask`` not rejected yet; ``describe`` gets their positions and returns the reasons."""
        where = np.flatnonzero(np.asarray(mask, dtype=bool) & self.ok)
        if where.size:
            self.values[where] = describe(where)


def _dates(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dates (datetime64[ns], NaT where unparseable) and their ``yyyymmdd`` text ("" where unparseable).

    A file has a few dozen distinct match days, so each distinct string is parsed once.
    """
    unique, inverse = np.unique(values.astype(str), return_inverse=True)
    parsed = [_date(text) for text in unique.tolist()]
    days = np.array([d if d is not None else np.datetime64("NaT") for d in parsed], dtype="datetime64[ns]")
    texts = np.array([str(d).replace("-", "") if d is not None else "" for d in parsed], dtype=object)
    return days[inverse.ravel()], texts[inverse.ravel()]


def _date(text: str) -> np.datetime64 | None:
    """``dd/mm/yy`` or ``dd/mm/yyyy`` (day and month may have one digit); None when not a real date."""
    match = _DATE.fullmatch(text)
    if match is None:
        return None
    day, month, year = (int(part) for part in match.groups())
    if len(match["year"]) == 2:
        year += 1900 if year >= 69 else 2000  # the POSIX %y pivot, as strptime and pandas read it
    if not _YEARS[0] <= year <= _YEARS[1]:
        return None  # "01/01/0001" is a placeholder, and would overflow datetime64[ns]
    try:
        return np.datetime64(date(year, month, day), "D")
    except ValueError:
        return None


def _whole(values: np.ndarray) -> np.ndarray:
    """Where values are whole numbers >= 0 (the bound keeps "1e30" out of Int64)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values >= 0) & (values == np.floor(values)) & (values < _MAX_COUNT)


def _int64(values: np.ndarray) -> pd.arrays.IntegerArray:
    missing = ~_whole(values)
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(np.int64), missing)


@dataclass(slots=True)
class _Rows:
    """Typed cells of every data row, and why rows are rejected."""

    reasons: _Reasons
    dates: np.ndarray
    days: np.ndarray  # the dates as yyyymmdd text, for match ids
    home: np.ndarray
    away: np.ndarray
    counts: _Numbers  # GOALS then the statistics of STAT_SOURCE_COLUMNS
    ftr: np.ndarray
    scheduled: np.ndarray


def _check_rows(table: _Table, file_div: str, teams: TeamNames) -> _Rows:
    """Apply the row rules in order; a row gets the reason of the first rule it breaks."""
    reasons = _Reasons(len(table))
    _check_widths(table, reasons)
    row_div = table.text("Div")
    reasons.flag(
        (row_div != "") & (row_div != file_div),
        lambda i: [f"Div differs from the file's: row has {v!r}, file is {file_div!r}" for v in row_div[i]],
    )
    raw_date = table.text("Date")
    dates, days = _dates(raw_date)
    reasons.flag(raw_date == "", lambda i: ["missing date: Date is empty"] * len(i))
    reasons.flag(
        np.isnat(dates),
        lambda i: [f"unparseable date: {v!r} is not dd/mm/yy or dd/mm/yyyy" for v in raw_date[i]],
    )
    home, away = _canonical(table.text("HomeTeam"), teams), _canonical(table.text("AwayTeam"), teams)
    reasons.flag((home == "") | (away == ""), lambda i: [_missing_team(home[j], away[j]) for j in i])
    reasons.flag(home == away, lambda i: [f"same team on both sides: {v!r}" for v in home[i]])
    counts = table.numbers([*GOALS, *STAT_SOURCE_COLUMNS])
    for k, column in enumerate(GOALS):
        reasons.flag(counts.filled[:, k] & ~_whole(counts.values[:, k]), _bad_goals(column, counts.raw[:, k]))
    ftr = table.text("FTR")
    played = _played_cells(table, counts)
    # A fixture has every column with its result empty; a row with a half-time score or statistics was played.
    scheduled = ~counts.filled[:, 0] & ~counts.filled[:, 1] & (ftr == "")
    scheduled &= ~np.any([cells != "" for cells in played.values()], axis=0) if played else True
    _check_result(reasons, counts, ftr, scheduled, played)
    return _Rows(reasons, dates, days, home, away, counts, ftr, scheduled)


def _check_widths(table: _Table, reasons: _Reasons) -> None:
    """Reject a last row cut by the end of the file, and rows that stop before the header's match columns end."""
    if table.truncated:
        last = np.zeros(len(table), dtype=bool)
        last[-1] = True
        reasons.flag(last, lambda i: [TRUNCATED_ROW] * len(i))
    positions = [k for k, name in enumerate(table.header) if name in MATCH_SOURCE_COLUMNS]
    needed = positions[-1] + 1 if positions else 0
    reasons.flag(table.widths < needed, lambda i: [_short_row(table, int(table.widths[j]), needed) for j in i])


def _short_row(table: _Table, width: int, needed: int) -> str:
    missing = [name for name in table.header[width:needed] if name in MATCH_SOURCE_COLUMNS]
    shown = ", ".join(missing[:4]) + (", …" if len(missing) > 4 else "")
    return f"short row: {width} fields where the header has {len(table.header)}; {shown} missing"


def _played_cells(table: _Table, counts: _Numbers) -> dict[str, np.ndarray]:
    """The stripped cells of the header's _PLAYED_COLUMNS, by name."""
    read = dict(zip((*GOALS, *STAT_SOURCE_COLUMNS), range(counts.raw.shape[1]), strict=True))
    return {
        name: table.text(name)
        if name == "HTR"
        else np.array([str(c).strip() for c in counts.raw[:, read[name]]], dtype=object)
        for name in _PLAYED_COLUMNS
        if table.has(name)
    }


def _canonical(names: np.ndarray, teams: TeamNames) -> np.ndarray:
    # A file has a few dozen distinct names: canonicalise each once.
    lookup = {name: teams.canonical(name) for name in set(names.tolist())}
    return np.array([lookup[name] for name in names.tolist()], dtype=object)


def _missing_team(home: str, away: str) -> str:
    empty = [name for name, value in (("HomeTeam", home), ("AwayTeam", away)) if not value]
    return f"missing team: {' and '.join(empty)} empty"


def _bad_goals(column: str, raw: np.ndarray) -> Callable[[np.ndarray], list[str]]:
    return lambda rows: [f"invalid goals: {column} is {value!r}, not a whole number >= 0" for value in raw[rows]]


def _check_result(
    reasons: _Reasons, counts: _Numbers, ftr: np.ndarray, scheduled: np.ndarray, played: dict[str, np.ndarray]
) -> None:
    fthg, ftag, hthg, htag = (counts.values[:, k] for k in range(len(GOALS)))
    cells = {"FTHG": counts.raw[:, 0], "FTAG": counts.raw[:, 1], "FTR": ftr}
    reasons.flag(
        ~scheduled & (np.isnan(fthg) | np.isnan(ftag) | (ftr == "")),
        lambda i: [_incomplete(cells, played, j) for j in i],
    )
    expected = np.where(fthg > ftag, "H", np.where(fthg < ftag, "A", "D"))
    reasons.flag(
        ~scheduled & (ftr != expected),
        lambda i: [
            f"FTR inconsistent with score: FTR is {ftr[j]!r} but score is {fthg[j]:.0f}-{ftag[j]:.0f}" for j in i
        ],
    )
    # A missing half-time score compares False, so only real half-time goals are checked.
    with np.errstate(invalid="ignore"):
        beyond = (hthg > fthg) | (htag > ftag)
    reasons.flag(
        beyond,
        lambda i: [
            f"half-time goals exceed full-time: half-time {hthg[j]:.0f}-{htag[j]:.0f}, "
            f"full-time {fthg[j]:.0f}-{ftag[j]:.0f}"
            for j in i
        ],
    )


def _incomplete(cells: dict[str, np.ndarray], played: dict[str, np.ndarray], row: int) -> str:
    empty = [name for name, values in cells.items() if str(values[row]).strip() == ""]
    given = [f"{name} {values[row]!r}" for name, values in cells.items() if str(values[row]).strip()]
    if not given:  # no full-time cell at all: what shows the match was played (a half-time score, statistics)
        given = [f"{name} {values[row]!r}" for name, values in played.items() if values[row]]
    return f"incomplete result: {', '.join(empty)} empty but {', '.join(given)} given"
