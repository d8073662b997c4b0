"""The odds-triple rules: which header columns are a bookmaker's 1X2 prices, and when a quoted triple is usable.

Pure over header names and price arrays; :mod:`~soccerpredict.data.sources.football_data.parse` applies them
to a file's rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from soccerpredict.data.columns import MARKET_AVG, MARKET_MAX, PINNACLE

__all__ = ["BOOKMAKERS", "LOOSE_OVERROUND_BOOKMAKERS", "OddsTriple", "odds_triples"]

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
