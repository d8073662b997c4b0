"""football-data.co.uk CSV files: find them, read them, parse them into a :class:`ParsedFile`.

Parsing is pure (bytes in, frames and rejections out) and vectorised with pandas/numpy; discovery
and download are the I/O edge. The real files vary by era: 16 to ~106 columns, ``dd/mm/yy`` and
``dd/mm/yyyy`` dates, UTF-8 (with or without BOM) or Windows-1252, CRLF or LF, blank ``,,,,`` rows,
rows without their trailing betting cells or longer than the header, quoted fields. Columns are looked up
by name; a row or a bookmaker's prices that cannot be used become a :class:`Rejection` with its line and
reason. A row that stops before the header's match columns end, and the last row of a file cut mid-line
(no line break after it), are rejected: a broken file never loads a partial row silently.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Final

import httpx
import numpy as np
import numpy.typing as npt
import pandas as pd

from soccerpredict.data.columns import (
    FINISHED,
    MARKET_AVG,
    MARKET_MAX,
    MATCH_COLUMNS,
    ODDS_COLUMNS,
    OUTCOMES,
    PINNACLE,
    SCHEDULED,
    STAT_SOURCE_COLUMNS,
    is_season_code,
)
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.teams import TeamNames, default_team_names, team_slug
from soccerpredict.errors import SourceError, SourceParseError

__all__ = [
    "BOOKMAKERS",
    "LOOSE_OVERROUND_BOOKMAKERS",
    "MATCH_SOURCE_COLUMNS",
    "TRUNCATED_ROW",
    "OddsTriple",
    "SourceRef",
    "discover",
    "divisions_in",
    "odds_triples",
    "parse_football_data",
    "read_source",
    "season_of",
]

#: Bookmaker codes named in football-data's notes; a triple ``xxH/xxD/xxA`` with another code is read too.
BOOKMAKERS: Final = frozenset(
    {"B365", "BW", "IW", "PS", "WH", "VC", "LB", "GB", "SB", "SJ", "BS", "SO", "SY"}
    | {"1XB", "BF", "BFE", "CL", "BV", "BMGM", "BFD"}
)
#: Prefixes that are not ``<bookmaker>[C]``: market aggregates, and Pinnacle's older ``PH/PD/PA``.
_SPECIAL_PREFIXES: Final = {
    "BbAv": (MARKET_AVG, "pre"),
    "Avg": (MARKET_AVG, "pre"),
    "BbMx": (MARKET_MAX, "pre"),
    "Max": (MARKET_MAX, "pre"),
    "AvgC": (MARKET_AVG, "close"),
    "MaxC": (MARKET_MAX, "close"),
    "P": (PINNACLE, "pre"),
    "PC": (PINNACLE, "close"),
}
#: Upper-case letters and digits with at least one letter: ``B365``, ``1XB``. Excludes ``BbAHh``, ``>2.5``.
_BOOKMAKER_CODE: Final = re.compile(r"[A-Z0-9]*[A-Z][A-Z0-9]*")
#: Best-of-market prices and exchange prices legitimately sum below 1, so they get a wider band.
LOOSE_OVERROUND_BOOKMAKERS: Final = frozenset({MARKET_MAX, "BFE"})
OVERROUND_BOUNDS: Final = (1.0, 1.25)
LOOSE_OVERROUND_BOUNDS: Final = (0.90, 1.25)
_OVERROUND_SLACK: Final = 1e-9  # 2/4/4 sums to exactly 1.0 only up to float rounding

_TEAM_COLUMNS: Final = {"HomeTeam": "HT", "AwayTeam": "AT"}  # the 2000-2005 Greek files say HT/AT
_REQUIRED: Final = ("Date", "HomeTeam", "AwayTeam")
#: Goal columns, in the order the parser reads them (full time first).
GOALS: Final = ("FTHG", "FTAG", "HTHG", "HTAG")
#: Every column read as the match itself. A row must reach the last of them in its header; only the betting
#: columns after them may be left off (the real 2000-2004 files drop a row's trailing empty prices).
MATCH_SOURCE_COLUMNS: Final = frozenset(
    {"Div", "Date", "Time", *_TEAM_COLUMNS, *GOALS, "FTR", "HTR", "Referee", *STAT_SOURCE_COLUMNS}
)
#: Cells a fixture leaves empty besides the full-time result: a row with any of them filled has been played.
_PLAYED_COLUMNS: Final = ("HTHG", "HTAG", "HTR", *STAT_SOURCE_COLUMNS)
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
TRUNCATED_ROW: Final = "truncated row: the file ends inside this row (no line break after it); re-download the file"
_DATE: Final = re.compile(r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4}|\d{2})")
_YEARS: Final = (1850, 2200)
_TIME: Final = re.compile(r"(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?::[0-5]\d)?")
_URL: Final = re.compile(r"/mmz4281/(?P<season>\d{4})/(?P<div>[A-Za-z0-9]+)\.csv$")
_DIV_NAME: Final = re.compile(r"[A-Z]{1,3}\d?")
_MAX_COUNT: Final = 2**31  # keeps "1e30" out of Int64 without inventing a plausibility rule


# ------------------------------------------------------------------------------------------ sources


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a file is (path or URL), and its division and season when the location tells them."""

    location: str
    div: str | None = None
    season: str | None = None

    @property
    def is_url(self) -> bool:
        """Whether the location is an http(s) URL."""
        return _is_url(self.location)


def _is_url(target: str) -> bool:
    return target.lower().startswith(("http://", "https://"))


def discover(target: str) -> list[SourceRef]:
    """The sources behind a file, a folder (every ``**/*.csv``, sorted) or an ``…/mmz4281/<SEASON>/<DIV>.csv`` URL."""
    if _is_url(target):
        match = _URL.search(target.split("?", 1)[0])
        return [SourceRef(target, match["div"], match["season"]) if match else SourceRef(target)]
    path = Path(target).expanduser()
    if path.is_file():
        return [_file_ref(path)]
    if path.is_dir():
        refs = [_file_ref(p) for p in sorted(path.rglob("*.csv")) if p.is_file()]
        if not refs:
            raise SourceError(f"no .csv files under the folder {target}")
        return refs
    raise SourceError(f"source not found: {target} is not an existing file or folder, nor an http(s) URL")


def _file_ref(path: Path) -> SourceRef:
    """Division and season from ``<DIV>/<SEASON>.csv`` (the archive layout) or ``<SEASON>/<DIV>.csv`` (the site's)."""
    parent, stem = path.parent.name, path.stem
    if is_season_code(stem) and _DIV_NAME.fullmatch(parent):
        return SourceRef(str(path), parent, stem)
    if is_season_code(parent) and _DIV_NAME.fullmatch(stem):
        return SourceRef(str(path), stem, parent)
    return SourceRef(str(path))


def read_source(ref: SourceRef, *, timeout: float) -> bytes:
    """The bytes of a file, or of a URL downloaded with redirects followed; :class:`SourceError` names what failed."""
    if not ref.is_url:
        try:
            return Path(ref.location).expanduser().read_bytes()
        except FileNotFoundError as exc:
            raise SourceError(f"source file not found: {ref.location}") from exc
        except OSError as exc:
            raise SourceError(f"cannot read {ref.location}: {exc.strerror or exc}") from exc
    try:
        response = httpx.get(ref.location, timeout=timeout, follow_redirects=True)
    except httpx.TimeoutException as exc:
        raise SourceError(
            f"download of {ref.location} timed out after {timeout:g} s; retry or raise the timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise SourceError(f"download of {ref.location} failed: {exc}") from exc
    if response.is_error:
        raise SourceError(
            f"download of {ref.location} failed: HTTP {response.status_code} {response.reason_phrase}".rstrip()
        )
    return response.content


# ------------------------------------------------------------------------------------- reading a file


def _decode(content: bytes, source: str) -> str:
    if content.startswith(_UTF16_BOMS):
        # Read as cp1252 it would be a NUL between every character and no column found.
        raise SourceParseError(f"{source} is UTF-16 encoded (a spreadsheet's 'Unicode text'); save it as UTF-8 CSV")
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Older downloads are Windows-1252 ("J\xf6rg Kessler"); latin-1 takes the 5 bytes cp1252 leaves undefined.
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError:
        return content.decode("latin-1")


@dataclass(frozen=True, slots=True)
class _Numbers:
    """Several columns read as numbers at once: values (NaN where empty or not a number), filled cells, raw text."""

    values: np.ndarray
    filled: np.ndarray
    raw: np.ndarray


class _Table:
    """A CSV's data rows, each cut or padded to the header's width; columns looked up by name.

    ``widths`` keeps each row's own number of fields; ``truncated`` says the last row ran into the end of
    the file (no line break after it, or a quoted field never closed).
    """

    def __init__(
        self, header: list[str], rows: list[list[str]], lines: list[int], blank_rows: int, *, truncated: bool = False
    ) -> None:
        width = len(header)
        self.header = header
        self.widths = np.array([len(row) for row in rows], dtype=np.int64)
        self.rows = [row if len(row) == width else (row + [""] * (width - len(row)))[:width] for row in rows]
        self.lines = np.asarray(lines, dtype=np.int64)
        self.blank_rows = blank_rows
        self.truncated = truncated
        self._text: dict[str, np.ndarray] = {}
        self._index: dict[str, int] = {}
        for position, name in enumerate(header):
            self._index.setdefault(name, position)  # a repeated name: the first one counts

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, name: str) -> bool:
        """Whether the header names this column."""
        return name in self._index

    def text(self, name: str) -> np.ndarray:
        """The column's cells, stripped (object array of str); all "" when the file has no such column."""
        if name not in self._text:
            position = self._index.get(name)
            cells = [row[position].strip() for row in self.rows] if position is not None else [""] * len(self)
            self._text[name] = np.array(cells, dtype=object)
        return self._text[name]

    def numbers(self, names: Sequence[str]) -> _Numbers:
        """Columns as floats (rows x names; absent columns are empty), converted in one vectorised pass."""
        present = [(k, self._index[name]) for k, name in enumerate(names) if name in self._index]
        shape = (len(self), len(present))
        if present and self.rows:
            pick = itemgetter(*(position for _, position in present))
            block = np.array(list(map(pick, self.rows)), dtype=object).reshape(shape)
        else:
            block = np.empty(shape, dtype=object)
        # Prices and counts repeat a lot ("3.40", "1"): convert each distinct string once.
        codes, distinct = pd.factorize(block.ravel())
        number = np.asarray(pd.to_numeric(distinct, errors="coerce"), dtype=float)
        nonblank = np.array([bool(text.strip()) for text in distinct.tolist()], dtype=bool)
        found = _Numbers(number[codes].reshape(shape), nonblank[codes].reshape(shape), block)
        if len(present) == len(names):
            return found
        columns = [k for k, _ in present]
        values = np.full((len(self), len(names)), np.nan)
        filled = np.zeros(values.shape, dtype=bool)
        raw = np.full(values.shape, "", dtype=object)
        values[:, columns], filled[:, columns], raw[:, columns] = found.values, found.filled, found.raw
        return _Numbers(values, filled, raw)


def _read_table(text: str, source: str) -> _Table:
    """Rows and their physical line numbers (csv's ``line_num`` counts lines inside quoted fields too)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    blank = 0
    last_line = 0
    last_is_row = False
    try:
        for record in reader:
            start, last_line = last_line + 1, reader.line_num
            # A normal row's first cell (Div) is filled, so the join only runs for suspect rows.
            last_is_row = bool(record and record[0].strip()) or bool("".join(record).strip())
            if not last_is_row:
                blank += header is not None
                continue
            if header is None:
                header = _normalise_header(record)
            else:
                rows.append(record)
                lines.append(start)
    except csv.Error as exc:
        raise SourceParseError(f"{source} is not a readable CSV file (line {reader.line_num}): {exc}") from exc
    if header is None:
        raise SourceParseError(f"{source} is empty: no header row")
    truncated = bool(rows) and last_is_row and _ends_mid_record(text, rows[-1])
    return _Table(header, rows, lines, blank, truncated=truncated)


def _ends_mid_record(text: str, last: list[str]) -> bool:
    """Whether the file's last record was cut: no line break after it, or a quoted field left open.

    A complete record ends with a line break that belongs to no field; when a quote is never closed,
    csv reads up to the end of the file, so the last field swallows that final line break.
    """
    return not text.endswith(("\n", "\r")) or last[-1].endswith(("\n", "\r"))


def _normalise_header(record: Sequence[str]) -> list[str]:
    names = [name.strip() for name in record]
    for canonical, short in _TEAM_COLUMNS.items():
        if canonical not in names and short in names:
            names[names.index(short)] = canonical
    # D2 0405 labels Ladbrokes' prices "LB,LB,LB": three equal bookmaker codes in a row are its H/D/A.
    for i in range(len(names) - 2):
        code = names[i]
        if code in BOOKMAKERS and names[i + 1] == code == names[i + 2] and names.count(code) == 3:
            names[i : i + 3] = [f"{code}H", f"{code}D", f"{code}A"]
    return names


# -------------------------------------------------------------------------------------- parsing rows


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


# -------------------------------------------------------------------------------------------- odds


@dataclass(frozen=True, slots=True)
class OddsTriple:
    """Three header columns holding one bookmaker's home/draw/away prices of one kind."""

    bookmaker: str
    kind: str
    columns: tuple[str, str, str]

    @property
    def bounds(self) -> tuple[float, float]:
        """Accepted range of the overround (sum of the inverse prices)."""
        return LOOSE_OVERROUND_BOUNDS if self.bookmaker in LOOSE_OVERROUND_BOOKMAKERS else OVERROUND_BOUNDS


def odds_triples(header: Sequence[str]) -> list[OddsTriple]:
    """Every ``<prefix>H/<prefix>D/<prefix>A`` set of 1X2 prices in a header, the first of each (bookmaker, kind)."""
    names = set(header)
    prefixes = {name[:-1] for name in header if name.endswith("H") and {f"{name[:-1]}D", f"{name[:-1]}A"} <= names}
    found: dict[tuple[str, str], OddsTriple] = {}
    for name in header:
        prefix = name[:-1]
        if not name.endswith("H") or prefix not in prefixes:
            continue
        classified = _classify(prefix, prefixes)
        if classified is not None and classified not in found:
            found[classified] = OddsTriple(*classified, (f"{prefix}H", f"{prefix}D", f"{prefix}A"))
    return list(found.values())


def _classify(prefix: str, prefixes: set[str]) -> tuple[str, str] | None:
    """(bookmaker, kind) of a price prefix, or None when it is not a bookmaker's 1X2 prices."""
    if prefix in _SPECIAL_PREFIXES:
        return _SPECIAL_PREFIXES[prefix]
    if not _BOOKMAKER_CODE.fullmatch(prefix):
        return None
    if prefix in BOOKMAKERS:
        return prefix, "pre"  # before the closing rule: VC ends in C but is BetVictor's pre-match price
    book = prefix[:-1]
    if prefix.endswith("C") and (book in BOOKMAKERS or book in prefixes):
        return book, "close"
    return prefix, "pre"


#: Odds rules in the order they are checked; a rejected triple gets the first that fires.
_INCOMPLETE, _NOT_A_NUMBER, _TOO_LOW, _OVERROUND = 1, 2, 3, 4


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


def _price_verdicts(triples: list[OddsTriple], prices: np.ndarray, filled: np.ndarray) -> np.ndarray:
    """Per row and triple: -1 nothing quoted (skipped), 0 valid, else the first rule broken."""
    low = np.array([t.bounds[0] for t in triples]) - _OVERROUND_SLACK
    high = np.array([t.bounds[1] for t in triples]) + _OVERROUND_SLACK
    finite = np.isfinite(prices)
    with np.errstate(divide="ignore", invalid="ignore"):
        overround = (1.0 / prices).sum(axis=2)
    return np.select(
        [
            ~filled.any(axis=2),
            ~filled.all(axis=2),
            (filled & ~finite).any(axis=2),
            (finite & (prices <= 1.0)).any(axis=2),
            (overround < low) | (overround > high),
        ],
        [-1, _INCOMPLETE, _NOT_A_NUMBER, _TOO_LOW, _OVERROUND],
        default=0,
    )


def _odds_reason(triple: OddsTriple, rule: int, raw: np.ndarray, prices: np.ndarray) -> str:
    label = f"{triple.bookmaker} {triple.kind}"
    cells = list(zip(triple.columns, raw.tolist(), prices.tolist(), strict=True))
    if rule == _INCOMPLETE:
        empty = [column for column, text, _ in cells if not str(text).strip()]
        return f"odds incomplete: {label} has {', '.join(empty)} empty"
    if rule == _NOT_A_NUMBER:
        bad = [f"{column} is {text!r}" for column, text, price in cells if not np.isfinite(price)]
        return f"odds not a number: {label}: {', '.join(bad)}"
    if rule == _TOO_LOW:
        bad = [f"{column} is {text!r}" for column, text, price in cells if price <= 1.0]
        return f"odds price not above 1.0: {label}: {', '.join(bad)}"
    low, high = triple.bounds
    total = float(np.sum(1.0 / prices))
    quoted = "/".join(str(text) for _, text, _ in cells)
    return (
        f"odds overround out of range: {label} {quoted} sums to {total:.3f} in inverse, allowed {low:.2f} to {high:.2f}"
    )


# ------------------------------------------------------------------------------------------- parser


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
