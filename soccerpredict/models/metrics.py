"""Scores of 1X2 probability forecasts, in pure numpy: the one home of the metric names.

Every function takes ``probs``, an ``(n, 3)`` array of probabilities in home/draw/away order (the order of
:data:`soccerpredict.data.columns.OUTCOMES`), and ``y``, an ``(n,)`` int array with 0 = home win, 1 = draw,
2 = away win. The pipeline, the API and the dashboards read metric names from :data:`METRICS` and the
column names of stored predictions from :data:`PROB_COLUMNS`.

Lower is better for every metric except ``accuracy`` (see :data:`HIGHER_IS_BETTER`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike

from soccerpredict.errors import ModelError

__all__ = [
    "CLASSES",
    "HIGHER_IS_BETTER",
    "METRICS",
    "METRIC_DESCRIPTIONS",
    "PER_ROW_SCORES",
    "PROB_COLUMNS",
    "BinStrategy",
    "accuracy",
    "brier",
    "calibration_error",
    "check_probs",
    "evaluate",
    "log_loss",
    "per_row_brier",
    "per_row_log_loss",
    "per_row_rps",
    "reliability_curve",
    "rps",
]

#: Class labels in outcome order: home win, draw, away win.
CLASSES: Final = (0, 1, 2)
#: Column names of the three probabilities wherever predictions are stored as a frame.
PROB_COLUMNS: Final = ("p_home", "p_draw", "p_away")
#: Every metric :func:`evaluate` returns, in this order.
METRICS: Final = ("rps", "log_loss", "brier", "accuracy", "ece")
HIGHER_IS_BETTER: Final = frozenset({"accuracy"})
METRIC_DESCRIPTIONS: Final = {
    "rps": "ranked probability score: squared error of the cumulative H/D/A forecast, 0 = perfect, 1 = worst",
    "log_loss": "mean negative log-probability of the actual outcome (probabilities clipped at 1e-15)",
    "brier": "multi-class Brier score: squared error summed over the three outcomes, 0 = perfect, 2 = worst",
    "accuracy": "share of matches whose most probable outcome happened",
    "ece": "expected calibration error: one-vs-rest, 10 equal-width bins, averaged over H/D/A",
}

BinStrategy = Literal["uniform", "quantile"]

_EPS: Final = 1e-15
#: Tolerance on row sums: float32 model outputs are off by ~1e-7; anything further is a bug upstream.
_SUM_TOLERANCE: Final = 1e-4


def check_probs(probs: ArrayLike, y: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate and return ``(probs, y)`` as float ``(n, 3)`` and int ``(n,)`` arrays; raise :class:`ModelError`."""
    p = np.asarray(probs, dtype=float)
    if p.ndim != 2 or p.shape[1] != len(CLASSES):
        raise ModelError(f"probabilities must have shape (n, 3) in H/D/A order, got {p.shape}")
    if not np.isfinite(p).all() or (p < -_SUM_TOLERANCE).any():
        raise ModelError("probabilities must be finite and non-negative; drop or fill rows without a forecast")
    bad = np.abs(p.sum(axis=1) - 1.0) > _SUM_TOLERANCE
    if bad.any():
        raise ModelError(f"{int(bad.sum())} row(s) of probabilities do not sum to 1; normalise them first")
    labels = np.zeros(len(p), dtype=np.int64) if y is None else np.asarray(y)
    if labels.shape != (len(p),):
        raise ModelError(f"labels must have shape ({len(p)},) to match the probabilities, got {labels.shape}")
    if labels.size and not np.isin(labels, CLASSES).all():
        raise ModelError("labels must be 0 (home win), 1 (draw) or 2 (away win)")
    return p, labels.astype(np.int64)


def _one_hot(y: np.ndarray) -> np.ndarray:
    return np.eye(len(CLASSES))[y]


def per_row_rps(probs: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Ranked probability score of each row: mean squared error of the cumulative forecast over 2 cut points."""
    p, labels = check_probs(probs, y)
    # The last cumulative value is 1 for both forecast and outcome, so only the first two cut points count.
    diff = np.cumsum(p, axis=1)[:, :-1] - np.cumsum(_one_hot(labels), axis=1)[:, :-1]
    return np.asarray((diff**2).sum(axis=1) / (len(CLASSES) - 1))


def per_row_log_loss(probs: ArrayLike, y: ArrayLike, *, eps: float = _EPS) -> np.ndarray:
    """Negative log-probability of the actual outcome per row, with probabilities clipped to ``[eps, 1]``."""
    p, labels = check_probs(probs, y)
    return np.asarray(-np.log(np.clip(p[np.arange(len(p)), labels], eps, 1.0)))


def per_row_brier(probs: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Multi-class Brier score per row: squared error summed over the three outcomes (range 0..2)."""
    p, labels = check_probs(probs, y)
    return np.asarray(((p - _one_hot(labels)) ** 2).sum(axis=1))


def _mean(values: np.ndarray) -> float:
    if values.size == 0:
        raise ModelError("cannot score an empty set of forecasts")
    return float(values.mean())


def rps(probs: ArrayLike, y: ArrayLike) -> float:
    """Mean ranked probability score (0 = perfect, 1 = worst); probs [0.5, 0.25, 0.25] on a home win give 0.15625."""
    return _mean(per_row_rps(probs, y))


def log_loss(probs: ArrayLike, y: ArrayLike, *, eps: float = _EPS) -> float:
    """Mean negative log-likelihood of the outcomes, probabilities clipped at ``eps``."""
    return _mean(per_row_log_loss(probs, y, eps=eps))


def brier(probs: ArrayLike, y: ArrayLike) -> float:
    """Mean multi-class Brier score (sum over classes, range 0..2)."""
    return _mean(per_row_brier(probs, y))


def accuracy(probs: ArrayLike, y: ArrayLike) -> float:
    """Share of rows whose most probable outcome happened (ties go to the earlier outcome: home, then draw)."""
    p, labels = check_probs(probs, y)
    return _mean((p.argmax(axis=1) == labels).astype(float))


def _bin_ids(pred: np.ndarray, n_bins: int, strategy: BinStrategy) -> np.ndarray:
    """Bin index of each prediction: equal-width bins on [0, 1], or equal-mass bins over the sorted predictions."""
    if strategy == "uniform":
        return np.minimum((pred * n_bins).astype(np.int64), n_bins - 1)
    if strategy == "quantile":
        # Splitting the sorted rows into equal chunks keeps bins equally full even with tied predictions.
        ids = np.empty(len(pred), dtype=np.int64)
        for i, chunk in enumerate(np.array_split(np.argsort(pred, kind="stable"), n_bins)):
            ids[chunk] = i
        return ids
    raise ModelError(f"unknown bin strategy {strategy!r}; use 'uniform' or 'quantile'")


def reliability_curve(
    pred: ArrayLike, hit: ArrayLike, *, n_bins: int = 10, strategy: BinStrategy = "uniform"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-vs-rest reliability: ``(mean predicted, observed frequency, count)`` per non-empty bin.

    Args:
        pred: predicted probability of one outcome per row.
        hit: 1 where that outcome happened, else 0.
    """
    p, h = np.asarray(pred, dtype=float), np.asarray(hit, dtype=float)
    ids = _bin_ids(p, n_bins, strategy)
    counts = np.bincount(ids, minlength=n_bins).astype(float)
    filled = counts > 0
    mean_pred = np.bincount(ids, weights=p, minlength=n_bins)[filled] / counts[filled]
    observed = np.bincount(ids, weights=h, minlength=n_bins)[filled] / counts[filled]
    return mean_pred, observed, counts[filled]


def calibration_error(probs: ArrayLike, y: ArrayLike, *, n_bins: int = 10, strategy: BinStrategy = "uniform") -> float:
    """Expected calibration error, one-vs-rest per outcome and averaged over H/D/A.

    Per outcome: the count-weighted mean of |mean predicted - observed frequency| over bins.
    ``strategy="uniform"`` (the default, used by :func:`evaluate`) uses equal-width bins on [0, 1];
    ``"quantile"`` uses equal-mass bins (each holds ~n/n_bins rows).
    """
    p, labels = check_probs(probs, y)
    if len(p) == 0:
        raise ModelError("cannot score an empty set of forecasts")
    errors = []
    for k in CLASSES:
        mean_pred, observed, counts = reliability_curve(p[:, k], labels == k, n_bins=n_bins, strategy=strategy)
        errors.append(float((counts * np.abs(mean_pred - observed)).sum() / counts.sum()))
    return float(np.mean(errors))


#: Per-row scores usable in paired comparisons (bootstrap of the per-match difference).
PER_ROW_SCORES: Final[Mapping[str, Callable[[ArrayLike, ArrayLike], np.ndarray]]] = {
    "rps": per_row_rps,
    "log_loss": per_row_log_loss,
    "brier": per_row_brier,
}


def evaluate(probs: ArrayLike, y: ArrayLike) -> dict[str, float]:
    """Every metric of :data:`METRICS`, keyed by name, in that order."""
    p, labels = check_probs(probs, y)
    scores = {
        "rps": rps(p, labels),
        "log_loss": log_loss(p, labels),
        "brier": brier(p, labels),
        "accuracy": accuracy(p, labels),
        "ece": calibration_error(p, labels),
    }
    return {name: scores[name] for name in METRICS}
