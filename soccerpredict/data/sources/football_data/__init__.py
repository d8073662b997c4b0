"""football-data.co.uk CSV files: find them, read them, parse them into a :class:`ParsedFile`.

Parsing is pure (bytes in, frames and rejections out) and vectorised with pandas/numpy; discovery
and download are the I/O edge. The real files vary by era: 16 to ~106 columns, ``dd/mm/yy`` and
``dd/mm/yyyy`` dates, UTF-8 (with or without BOM) or Windows-1252, CRLF or LF, blank ``,,,,`` rows,
rows without their trailing betting cells or longer than the header, quoted fields. Columns are looked up
by name; a row or a bookmaker's prices that cannot be used become a :class:`Rejection` with its line and
reason. A row that stops before the header's match columns end, and the last row of a file cut mid-line
(no line break after it), are rejected: a broken file never loads a partial row silently.

- :mod:`.discover`: where the files are and their bytes (the I/O edge);
- :mod:`.table`: decoding and CSV rows with their line numbers, columns by name;
- :mod:`.rows`: the row rules, the first broken one a row's rejection reason;
- :mod:`.odds`: which columns are a bookmaker's 1X2 prices, and when a triple is usable;
- :mod:`.parse`: one file to matches, odds and rejections (:func:`parse_football_data`).
"""

from __future__ import annotations

from soccerpredict.data.sources.football_data.discover import SourceRef, discover, read_source
from soccerpredict.data.sources.football_data.odds import (
    BOOKMAKERS,
    LOOSE_OVERROUND_BOOKMAKERS,
    OddsTriple,
    odds_triples,
)
from soccerpredict.data.sources.football_data.parse import divisions_in, parse_football_data, season_of
from soccerpredict.data.sources.football_data.rows import MATCH_SOURCE_COLUMNS, TRUNCATED_ROW

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
