"""A football-data ``fixtures.csv`` built from real result files: the last rows, results and closing odds removed.

football-data.co.uk's fixtures file has the results files' columns with the results empty and only
pre-match prices; cutting the last matchday out of real season files gives one with real teams and
real prices, for divisions the sample ships.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

#: Columns a fixtures file leaves empty: the result and the in-match statistics.
RESULT_COLUMNS = frozenset(
    "FTHG FTAG FTR HTHG HTAG HTR Referee HS AS HST AST HF AF HC AC HY AY HR AR".split()  # noqa: SIM905
)


# football_data.BOOKMAKERS plus the market aggregates; written out because the DAG tests import this module in the
# Airflow environment, which has none of the project.
_PRICE_PREFIXES = {"B365", "BW", "IW", "PS", "WH", "VC", "LB", "1XB", "BF", "BFE", "Max", "Avg"}


def _is_closing(column: str) -> bool:
    """A closing 1X2 price (``B365CH``, ``PSCA``, ``AvgCD``): not known before kick-off, so not in a fixtures file."""
    return column[-1:] in ("H", "D", "A") and column[-2:-1] == "C" and column[:-2] in _PRICE_PREFIXES


def fixtures_csv(files: list[Path], *, last: int) -> tuple[bytes, list[dict[str, str]]]:
    """A fixtures file of the ``last`` rows of each results file, and those rows as they are in the results."""
    out_rows: list[dict[str, str]] = []
    originals: list[dict[str, str]] = []
    header: list[str] = []
    for path in files:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = [f for f in reader.fieldnames or [] if f and not _is_closing(f)]
            header = header or fields
            rows = [r for r in reader if r.get("Date")][-last:]
        originals.extend(rows)
        for row in rows:
            out_rows.append({k: ("" if k in RESULT_COLUMNS else row.get(k, "")) for k in header})
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(out_rows)
    return buffer.getvalue().encode("utf-8"), originals
