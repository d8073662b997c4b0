"""Bookmaker odds to probabilities: multiplicative normalisation and Shin's method, vectorised.

Pure numpy (no scikit-learn), so the stages that only score against the market import it cheaply. The
market feature group (:mod:`soccerpredict.features.market`) applies it to the pre-match average odds
(:data:`ODDS_PRE_AVG`, known days before kick-off). The closing odds (:data:`ODDS_CLOSE`) are known only at
kick-off: they are never a feature; :func:`market_benchmark_probs` turns them into the benchmark
probabilities a model is evaluated against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from soccerpredict.data.columns import MATCH_ID, ODDS_CLOSE
from soccerpredict.errors import DataError

__all__ = [
    "BENCHMARK_COLUMNS",
    "DEVIG_METHODS",
    "devig",
    "market_benchmark_probs",
    "multiplicative_probs",
    "odds_array",
    "overround",
    "shin_probs",
    "shin_z",
]

BENCHMARK_COLUMNS: tuple[str, ...] = ("close_p_home", "close_p_draw", "close_p_away")
DEVIG_METHODS: tuple[str, ...] = ("shin", "multiplicative")

_NEWTON_STEPS = 50
_TOLERANCE = 1e-13


def _valid_odds(odds: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Odds as an (n, k) float array, and which rows are complete with every price above 1."""
    array = np.atleast_2d(np.asarray(odds, dtype=float))
    valid = np.isfinite(array).all(axis=1) & (array > 1.0).all(axis=1)
    return array, valid


def _shaped(result: np.ndarray, odds: ArrayLike) -> np.ndarray:
    """Return a 1-D result for 1-D input (a single match), else the (n, k) array."""
    return result[0] if np.ndim(odds) == 1 else result


def overround(odds: ArrayLike) -> np.ndarray:
    """Booksum minus one (the bookmaker margin) per row; NaN for incomplete or invalid odds."""
    array, valid = _valid_odds(odds)
    result = np.where(valid, (1.0 / np.where(valid[:, None], array, 2.0)).sum(axis=1) - 1.0, np.nan)
    return _shaped(result, odds)


def multiplicative_probs(odds: ArrayLike) -> np.ndarray:
    """Implied probabilities 1/odds normalised to sum to one, per row; NaN rows for invalid odds."""
    array, valid = _valid_odds(odds)
    implied = 1.0 / np.where(valid[:, None], array, np.nan)
    return _shaped(implied / implied.sum(axis=1, keepdims=True), odds)


def _shin_sum(z: np.ndarray, q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of Shin probabilities minus one, and its derivative in z, for each row."""
    zc = z[:, None]
    root = np.sqrt(zc * zc + 4.0 * (1.0 - zc) * q)
    probs = (root - zc) / (2.0 * (1.0 - zc))
    d_root = (zc - 2.0 * q) / root
    d_probs = ((d_root - 1.0) * (1.0 - zc) + (root - zc)) / (2.0 * (1.0 - zc) ** 2)
    return probs.sum(axis=1) - 1.0, d_probs.sum(axis=1)


def shin_z(odds: ArrayLike) -> np.ndarray:
    """Shin's insider-trading share z per row (0 where the booksum is not above one, NaN if invalid).

    Solves sum_i p_i(z) = 1 with p_i = (sqrt(z^2 + 4 (1 - z) pi_i^2 / B) - z) / (2 (1 - z)), pi_i = 1/odds_i,
    B = sum_i pi_i.
    """
    array, valid = _valid_odds(odds)
    implied = 1.0 / array[valid]
    booksum = implied.sum(axis=1)
    z = np.full(len(array), np.nan)
    z[valid] = np.where(booksum > 1.0, _solve_shin(implied**2 / booksum[:, None]), 0.0)
    return z


def _solve_shin(q: np.ndarray) -> np.ndarray:
    """Root in [0, 1) of the Shin sum for each row of q = pi^2 / B: Newton's method inside a shrinking bracket.

    The sum decreases in z; a Newton step that leaves the bracket is replaced by bisection.
    """
    lo, hi = np.zeros(len(q)), np.full(len(q), 1.0 - 1e-9)
    z = np.zeros(len(q))
    for _ in range(_NEWTON_STEPS):
        f, df = _shin_sum(z, q)
        lo, hi = np.where(f > 0, z, lo), np.where(f > 0, hi, z)
        step = np.where(df < 0, z - f / np.where(df < 0, df, -1.0), np.nan)
        new = np.where((step >= lo) & (step <= hi), step, 0.5 * (lo + hi))
        converged = np.max(np.abs(new - z), initial=0.0) < _TOLERANCE
        z = new
        if converged:
            break
    return z


def shin_probs(odds: ArrayLike) -> np.ndarray:
    """Shin (1993) probabilities per row; multiplicative where the booksum is at most one; NaN if invalid."""
    array, valid = _valid_odds(odds)
    z = shin_z(array)[:, None]
    implied = 1.0 / np.where(valid[:, None], array, np.nan)
    q = implied**2 / implied.sum(axis=1, keepdims=True)
    probs = (np.sqrt(z * z + 4.0 * (1.0 - z) * q) - z) / (2.0 * (1.0 - z))
    fair = implied.sum(axis=1) <= 1.0
    probs = np.where(fair[:, None], implied, probs)
    return _shaped(probs / probs.sum(axis=1, keepdims=True), odds)


def devig(odds: ArrayLike, method: str = "shin") -> np.ndarray:
    """De-vigged probabilities by ``method`` (one of :data:`DEVIG_METHODS`)."""
    if method == "shin":
        return shin_probs(odds)
    if method == "multiplicative":
        return multiplicative_probs(odds)
    raise ValueError(f"unknown de-vig method {method!r}; use one of {DEVIG_METHODS}")


def odds_array(frame: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The odds columns of a match frame as floats (NaN where a price is missing or not a number)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"the match frame has no odds column(s) {missing}; build it with the football-data parser")
    return frame.loc[:, list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def market_benchmark_probs(frame: pd.DataFrame, *, method: str = "shin") -> pd.DataFrame:
    """De-vigged closing probabilities (:data:`BENCHMARK_COLUMNS`) for evaluation only, never as features.

    Returns ``match_id`` (when the frame has it) and the probabilities, on the frame's index.
    """
    probs = np.atleast_2d(devig(odds_array(frame, ODDS_CLOSE), method)) if len(frame) else np.empty((0, 3))
    out = pd.DataFrame({name: probs[:, j] for j, name in enumerate(BENCHMARK_COLUMNS)}, index=frame.index)
    if MATCH_ID in frame.columns:
        out.insert(0, MATCH_ID, frame[MATCH_ID].to_numpy())
    return out
