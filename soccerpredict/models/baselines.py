"""Baselines every model must beat: base rates, a one-feature Elo logit, and given probability columns.

All three are sklearn classifiers over a feature frame ``X`` (a pandas DataFrame) with ``classes_ = [0, 1, 2]``
(home win, draw, away win); they read only the columns named by their parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from soccerpredict.errors import ModelError
from soccerpredict.models.metrics import CLASSES

__all__ = ["ClimatologyBaseline", "EloLogitBaseline", "ProbabilityColumnsBaseline"]


def _require(X: Any, columns: Sequence[str], *, who: str) -> pd.DataFrame:
    """``X`` as a DataFrame that has ``columns``; a clear error otherwise."""
    if not isinstance(X, pd.DataFrame):
        raise ModelError(f"{who} needs a pandas DataFrame with column(s) {list(columns)}, got {type(X).__name__}")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise ModelError(f"{who} needs column(s) {missing} in X; pass them through the feature frame")
    return X


def _labels(y: ArrayLike, n_rows: int) -> np.ndarray:
    labels = np.asarray(y)
    if n_rows == 0:
        raise ModelError("cannot fit a baseline on zero rows; check the training window")
    if labels.shape != (n_rows,) or not np.isin(labels, CLASSES).all():
        raise ModelError(f"y must hold {n_rows} labels in {{0, 1, 2}} (home, draw, away)")
    return labels.astype(np.int64)


def _rates(labels: np.ndarray) -> np.ndarray:
    return np.bincount(labels, minlength=len(CLASSES)).astype(float)


class _Baseline(ClassifierMixin, BaseEstimator):
    """Shared plumbing: fixed classes and argmax ``predict``."""

    def predict_proba(self, X: Any) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def predict(self, X: Any) -> np.ndarray:
        """Most probable outcome per row."""
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]

    def _set_classes(self) -> None:
        self.classes_ = np.array(CLASSES)


class ClimatologyBaseline(_Baseline):
    """Per-division base rates of H/D/A learned from the training rows; unseen divisions get the global rates.

    A division's rates are shrunk towards the global rates by ``prior_strength`` pseudo-matches, so a
    division with few training rows (or no draws yet) never forecasts a probability of zero.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "group_column": [str],
        "prior_strength": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(self, *, group_column: str = "div", prior_strength: float = 10.0) -> None:
        self.group_column = group_column
        self.prior_strength = prior_strength

    def fit(self, X: Any, y: ArrayLike) -> ClimatologyBaseline:
        """Learn global and per-group outcome rates."""
        self._validate_params()
        frame = _require(X, [self.group_column], who="ClimatologyBaseline")
        labels = _labels(y, len(frame))
        self.global_rates_ = _rates(labels) / max(len(labels), 1)
        groups = frame[self.group_column].astype(str).to_numpy()
        self.rates_: dict[str, np.ndarray] = {}
        for group in np.unique(groups):
            counts = _rates(labels[groups == group]) + self.prior_strength * self.global_rates_
            self.rates_[str(group)] = counts / counts.sum()
        self._set_classes()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The fitted rates of each row's group (global rates for groups unseen in training)."""
        check_is_fitted(self, "rates_")
        frame = _require(X, [self.group_column], who="ClimatologyBaseline")
        groups = frame[self.group_column].astype(str)
        return np.array([self.rates_.get(g, self.global_rates_) for g in groups]).reshape(len(frame), len(CLASSES))


class EloLogitBaseline(_Baseline):
    """Multinomial logistic regression of the outcome on one column (the pre-match Elo difference by default)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "column": [str],
        "C": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, column: str = "elo_diff", C: float = 1.0) -> None:
        self.column = column
        self.C = C

    def _values(self, X: Any) -> np.ndarray:
        values = _require(X, [self.column], who="EloLogitBaseline")[self.column].to_numpy(dtype=float)
        # Missing ratings (a team's first match) take the training median rather than failing the whole batch.
        return np.where(np.isnan(values), self.fill_value_, values).reshape(-1, 1)

    def fit(self, X: Any, y: ArrayLike) -> EloLogitBaseline:
        """Fit the logit on the single column."""
        self._validate_params()
        raw = _require(X, [self.column], who="EloLogitBaseline")[self.column].to_numpy(dtype=float)
        labels = _labels(y, len(raw))
        self.fill_value_ = float(np.nanmedian(raw)) if np.isfinite(raw).any() else 0.0
        self.model_ = LogisticRegression(C=self.C, max_iter=1000).fit(self._values(X), labels)
        if list(self.model_.classes_) != list(CLASSES):
            raise ModelError("EloLogitBaseline needs all three outcomes (H, D, A) in the training labels")
        self._set_classes()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Outcome probabilities from the fitted logit."""
        check_is_fitted(self, "model_")
        return np.asarray(self.model_.predict_proba(self._values(X)))


class ProbabilityColumnsBaseline(_Baseline):
    """Return given probability columns (goals model, de-vigged market), renormalised to sum to 1.

    Rows where any of the three columns is missing get the training base rates, so the benchmark
    never drops a match; compare on rows where it is present when that matters.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"columns": [tuple, list]}

    def __init__(self, *, columns: Sequence[str] = ("close_p_home", "close_p_draw", "close_p_away")) -> None:
        self.columns = columns

    def fit(self, X: Any, y: ArrayLike) -> ProbabilityColumnsBaseline:
        """Check the columns exist and learn the fallback base rates."""
        self._validate_params()
        if len(self.columns) != len(CLASSES):
            raise ModelError(f"columns must name the home, draw and away probabilities, got {list(self.columns)}")
        frame = _require(X, self.columns, who="ProbabilityColumnsBaseline")
        labels = _labels(y, len(frame))
        self.fallback_rates_ = _rates(labels) / max(len(labels), 1)
        self._set_classes()
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability columns, renormalised per row; base rates where a row is incomplete."""
        check_is_fitted(self, "fallback_rates_")
        values = _require(X, self.columns, who="ProbabilityColumnsBaseline")[list(self.columns)].to_numpy(float)
        complete = np.isfinite(values).all(axis=1) & (values >= 0).all(axis=1) & (values.sum(axis=1) > 0)
        safe = np.where(complete[:, None], values, self.fallback_rates_)
        return np.asarray(safe / safe.sum(axis=1, keepdims=True))
