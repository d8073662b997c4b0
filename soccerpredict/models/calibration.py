"""Post-hoc calibration of a fitted model on a time-ordered slice: isotonic, temperature scaling, or none.

The calibration slice is the latest season(s) of the training data (:func:`calibration_split`): the model
is fitted on the earlier seasons, calibrated on the later ones. :func:`calibrate` splits that slice again
in time order, fits each candidate on its first part, chooses by log-loss on its last part (so the choice
is not made on the rows a calibrator was fitted on), then refits the chosen method on the whole slice.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Real
from typing import Any, ClassVar, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils._param_validation import HasMethods, Interval
from sklearn.utils.validation import check_is_fitted

from soccerpredict.errors import ConfigError, ModelError
from soccerpredict.models.metrics import CLASSES, check_probs, evaluate, log_loss
from soccerpredict.models.tuning import ordered_seasons, season_start_year

__all__ = [
    "CALIBRATION_METHODS",
    "MIN_ISOTONIC_ROWS",
    "PROBABILITY_FLOOR",
    "FlooredClassifier",
    "TemperatureCalibrator",
    "TemperatureScaledClassifier",
    "calibrate",
    "calibration_split",
]

#: Candidate methods, simplest first: on equal held-out log-loss the simpler one wins.
CALIBRATION_METHODS: Final = ("none", "temperature", "isotonic")
_EPS: Final = 1e-15
#: Isotonic regression needs many rows per outcome (scikit-learn's guide: over ~1000); with fewer, "auto" skips it.
MIN_ISOTONIC_ROWS: Final = 1000
#: Isotonic regression maps whole score ranges to exactly 0; an outcome forecast at 0 that happens costs an
#: unbounded log-loss. Calibrated probabilities are floored here and renormalised.
PROBABILITY_FLOOR: Final = 1e-3


def _softmax_of_log(probs: np.ndarray, temperature: float) -> np.ndarray:
    logits = np.log(np.clip(probs, _EPS, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)  # stability: exp never overflows
    scaled = np.exp(logits)
    return np.asarray(scaled / scaled.sum(axis=1, keepdims=True))


class TemperatureCalibrator(BaseEstimator):
    """One scalar ``T`` mapping probabilities ``p`` to ``softmax(log p / T)``, fitted by minimising log-loss.

    ``T > 1`` flattens an over-confident forecast, ``T < 1`` sharpens an under-confident one; the ranking
    of outcomes within a row never changes. Works on probabilities, not features: ``fit(probs, y)``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "min_temperature": [Interval(Real, 0, None, closed="neither")],
        "max_temperature": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, min_temperature: float = 0.05, max_temperature: float = 20.0) -> None:
        self.min_temperature = min_temperature
        self.max_temperature = max_temperature

    def fit(self, probs: ArrayLike, y: ArrayLike) -> TemperatureCalibrator:
        """Fit ``temperature_`` on ``(n, 3)`` probabilities and their outcomes."""
        from scipy.optimize import minimize_scalar

        self._validate_params()
        p, labels = check_probs(probs, y)
        if len(p) == 0 or self.min_temperature >= self.max_temperature:
            raise ModelError("temperature scaling needs rows to fit on and min_temperature < max_temperature")
        # Search log T: the loss is far better conditioned there and T stays positive.
        result = minimize_scalar(
            lambda log_t: log_loss(_softmax_of_log(p, float(np.exp(log_t))), labels),
            bounds=(np.log(self.min_temperature), np.log(self.max_temperature)),
            method="bounded",
            options={"xatol": 1e-6},
        )
        self.temperature_ = float(np.exp(result.x))
        return self

    def predict_proba(self, probs: ArrayLike) -> np.ndarray:
        """Rescaled probabilities (rows sum to 1)."""
        check_is_fitted(self, "temperature_")
        p, _ = check_probs(probs)
        return _softmax_of_log(p, self.temperature_)


class TemperatureScaledClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier followed by temperature scaling; ``fit`` learns only the temperature.

    Pass the model wrapped in :class:`sklearn.frozen.FrozenEstimator` so that cloning or refitting never
    retrains it (the same contract as ``CalibratedClassifierCV(FrozenEstimator(model))``).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"estimator": [HasMethods(["predict_proba"])]}

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    def fit(self, X: Any, y: ArrayLike) -> TemperatureScaledClassifier:
        """Fit the temperature on the estimator's probabilities for ``X``."""
        self._validate_params()
        self.calibrator_ = TemperatureCalibrator().fit(self.estimator.predict_proba(X), y)
        self.classes_ = np.array(CLASSES)
        return self

    @property
    def temperature_(self) -> float:
        """The fitted temperature."""
        check_is_fitted(self, "calibrator_")
        return float(self.calibrator_.temperature_)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Temperature-scaled probabilities of the wrapped estimator."""
        check_is_fitted(self, "calibrator_")
        return self.calibrator_.predict_proba(self.estimator.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable outcome per row (unchanged by temperature scaling)."""
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


class FlooredClassifier(ClassifierMixin, BaseEstimator):
    """A fitted classifier whose probabilities are floored at ``floor`` and renormalised; ``fit`` learns nothing."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "estimator": [HasMethods(["predict_proba"])],
        "floor": [Interval(Real, 0, 1 / len(CLASSES), closed="left")],
    }

    def __init__(self, estimator: Any, floor: float = PROBABILITY_FLOOR) -> None:
        self.estimator = estimator
        self.floor = floor

    def fit(self, X: Any = None, y: ArrayLike | None = None) -> FlooredClassifier:
        """Check the parameters; the wrapped estimator is already fitted."""
        self._validate_params()
        self.classes_ = np.array(CLASSES)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """The wrapped probabilities, each at least ``floor``, rows summing to 1."""
        check_is_fitted(self, "classes_")
        p = np.clip(np.asarray(self.estimator.predict_proba(X), dtype=float), self.floor, 1.0)
        return np.asarray(p / p.sum(axis=1, keepdims=True))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable outcome per row."""
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


def calibration_split(seasons: Sequence[str] | ArrayLike, n_seasons: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Row positions ``(fit_idx, cal_idx)``: the latest ``n_seasons`` seasons calibrate, the earlier ones fit."""
    codes = [str(s) for s in np.asarray(seasons, dtype=object)]
    order = ordered_seasons(codes)
    if n_seasons < 1 or len(order) <= n_seasons:
        raise ModelError(
            f"a {n_seasons}-season calibration slice needs more than {n_seasons} seasons, got {order}; "
            "widen the training window or use calibration method 'none'"
        )
    first_cal_year = season_start_year(order[-n_seasons])
    is_cal = np.array([season_start_year(c) >= first_cal_year for c in codes])
    return np.flatnonzero(~is_cal), np.flatnonzero(is_cal)


def _fit_method(model: Any, method: str, X: Any, y: np.ndarray) -> Any:
    """``model`` calibrated by ``method`` on ``(X, y)``; the model itself is never refitted."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.frozen import FrozenEstimator

    if method == "none":
        return model
    if method == "temperature":
        return TemperatureScaledClassifier(FrozenEstimator(model)).fit(X, y)
    # One-vs-rest isotonic per outcome, renormalised by sklearn so rows still sum to 1, then floored.
    return FlooredClassifier(CalibratedClassifierCV(FrozenEstimator(model), method="isotonic").fit(X, y)).fit()


def _rows(X: Any, idx: np.ndarray) -> Any:
    return X.iloc[idx] if isinstance(X, pd.DataFrame) else np.asarray(X)[idx]


def _time_split(n_rows: int, order: ArrayLike | None, select_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """Earlier rows to fit candidates on, later rows to choose between them."""
    positions = np.arange(n_rows) if order is None else np.argsort(np.asarray(order), kind="stable")
    n_select = round(n_rows * select_fraction)
    if not 0 < n_select < n_rows:
        raise ModelError(f"cannot split {n_rows} calibration rows with select_fraction={select_fraction}")
    return positions[: n_rows - n_select], positions[n_rows - n_select :]


def calibrate(
    model: Any,
    X_cal: Any,
    y_cal: ArrayLike,
    method: str = "auto",
    *,
    order: ArrayLike | None = None,
    select_fraction: float = 0.5,
) -> tuple[Any, dict[str, Any]]:
    """Calibrate a fitted ``model`` on the calibration slice; return ``(calibrated model, report)``.

    Args:
        method: ``"auto"`` picks the candidate of :data:`CALIBRATION_METHODS` with the lowest log-loss on the
            later part of the slice; ``"isotonic"``, ``"temperature"`` or ``"none"`` force one.
        order: sort key of the rows (e.g. dates); ``None`` means the rows are already in time order.
        select_fraction: share of the slice (the latest rows) held out to choose the method.

    The report holds the chosen method, every candidate's metrics on the held-out part, the row counts
    and, for temperature scaling, the fitted temperature.
    """
    if method != "auto" and method not in CALIBRATION_METHODS:
        raise ConfigError(f"unknown calibration method {method!r}; choose 'auto' or one of {list(CALIBRATION_METHODS)}")
    labels = np.asarray(y_cal, dtype=np.int64)
    fit_idx, select_idx = _time_split(len(labels), order, select_fraction)
    X_select, y_select = _rows(X_cal, select_idx), labels[select_idx]
    candidates, skipped = {}, {}
    for name in CALIBRATION_METHODS:
        if method == "auto" and name == "isotonic" and len(fit_idx) < MIN_ISOTONIC_ROWS:
            skipped[name] = f"needs at least {MIN_ISOTONIC_ROWS} rows to fit, the slice gives {len(fit_idx)}"
            continue
        fitted = _fit_method(model, name, _rows(X_cal, fit_idx), labels[fit_idx])
        candidates[name] = evaluate(fitted.predict_proba(X_select), y_select)
    # min() keeps the first of equal scores, and the candidates are listed simplest first.
    chosen = method if method != "auto" else min(candidates, key=lambda m: candidates[m]["log_loss"])
    final = _fit_method(model, chosen, X_cal, labels)
    report: dict[str, Any] = {
        "method": chosen,
        "requested": method,
        "selection_metric": "log_loss",
        "n_fit": len(fit_idx),
        "n_select": len(select_idx),
        "n_total": len(labels),
        "candidates": candidates,
        "skipped": skipped,
        "temperature": final.temperature_ if chosen == "temperature" else None,
    }
    return final, report
