"""What a source parser hands to the repository: valid rows plus every rejection, with its reason."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["ParsedFile", "Rejection"]


@dataclass(frozen=True, slots=True)
class Rejection:
    """One row (or one part of a row, such as a bookmaker's prices) that was not loaded, and why."""

    source: str
    line: int
    reason: str
    #: "row" when the whole match row was rejected, "odds" when only some prices were.
    scope: str = "row"

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(slots=True)
class ParsedFile:
    """The result of parsing one source file.

    ``matches`` has the columns of :data:`soccerpredict.data.columns.MATCH_COLUMNS` plus ``line``
    (1-based line number in the source, header = line 1); ``odds`` has
    :data:`soccerpredict.data.columns.ODDS_COLUMNS`.
    """

    source: str
    checksum: str
    div: str
    season: str
    matches: pd.DataFrame
    odds: pd.DataFrame
    rejections: list[Rejection] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def rows_rejected(self) -> int:
        """Number of whole match rows rejected."""
        return sum(1 for r in self.rejections if r.scope == "row")
