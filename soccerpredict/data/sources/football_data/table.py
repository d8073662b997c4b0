"""Reading a football-data.co.uk file into a :class:`_Table`: decoding, CSV rows with their line numbers, header names.

The real files vary by era: ``dd/mm/yy`` and ``dd/mm/yyyy`` dates, UTF-8 (with or without BOM) or Windows-1252,
CRLF or LF, blank ``,,,,`` rows, rows without their trailing betting cells or longer than the header, quoted
fields. Columns are looked up by name.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Final

import numpy as np
import pandas as pd

from soccerpredict.data.sources.football_data.odds import BOOKMAKERS
from soccerpredict.errors import SourceParseError

_TEAM_COLUMNS: Final = {"HomeTeam": "HT", "AwayTeam": "AT"}  # the 2000-2005 Greek files say HT/AT
_UTF16_BOMS: Final = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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
