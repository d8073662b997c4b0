"""How the served model computes: tree ensembles run through treelite's GTIL, everything else as it was logged.

A single-row ``XGBClassifier.predict_proba`` spends most of its time outside the trees (a config context,
a proxy DMatrix, thread setup); ``HistGradientBoostingClassifier`` pays sklearn's input validation on every
call. `treelite <https://treelite.readthedocs.io>`_ imports both into one tree representation and its GTIL
evaluates them in well under half the time (``bench/bench_engine.py``: 0.14 ms against 0.40 ms for the
``make run`` champion). :func:`accelerate` swaps every such ensemble inside a
champion (bare, or wrapped by calibration, flooring or :class:`sklearn.frozen.FrozenEstimator`) for a
:class:`TreeliteClassifier`, so the calibration layers run unchanged on top of it.

A market-anchored XGBoost runs on treelite too (:class:`AnchoredTreeliteClassifier`): its market is an additive
term on the trees' raw scores, so treelite's raw output with the base score swapped for the log market
probabilities, then a softmax and the model's own blend with the recalibrated market (its logit as one numpy
function), is its forecast.

The swap is kept only when the accelerated model reproduces the logged one on the check rows (every
probability within :data:`TOLERANCE`); otherwise the logged estimator serves and the reason is logged.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

__all__ = [
    "ENGINE_NATIVE",
    "ENGINE_TREELITE",
    "TOLERANCE",
    "Accelerated",
    "AnchoredTreeliteClassifier",
    "TreeliteClassifier",
    "accelerate",
    "check_rows",
]

log = logging.getLogger(__name__)

ENGINE_NATIVE: Final = "native"
ENGINE_TREELITE: Final = "treelite-gtil"
#: Largest difference to the logged model's probabilities the accelerated one may show on the check rows.
TOLERANCE: Final = 1e-5


class TreeliteClassifier(ClassifierMixin, BaseEstimator):
    """A fitted multi-class tree ensemble evaluated by treelite GTIL (one thread: requests are single rows)."""

    def __init__(self, model: Any, classes: np.ndarray, n_features: int) -> None:
        self.model = model
        self.classes = classes
        self.n_features = n_features
        self.classes_ = np.asarray(classes)
        self.n_features_in_ = n_features

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``[n, n_classes]``, as the source ensemble computes them."""
        import treelite

        rows = np.ascontiguousarray(X, dtype=np.float32)
        out = treelite.gtil.predict(self.model, rows, nthread=1)
        return np.asarray(out, dtype=np.float64).reshape(rows.shape[0], len(self.classes_))

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class per row."""
        return np.asarray(self.classes_)[self.predict_proba(X).argmax(axis=1)]


class AnchoredTreeliteClassifier(TreeliteClassifier):
    """A market-anchored XGBoost (:class:`~soccerpredict.models.anchored.MarketAnchoredXGBClassifier`) on treelite.

    The market is an additive term on the raw scores: treelite's raw output, its base score swapped for the log
    market probabilities (XGBoost's ``base_margin`` replaces the base score), then a softmax, is the anchored
    forecast; the recalibrated market is blended in by the source model's own code.
    """

    def __init__(self, model: Any, source: Any) -> None:
        from soccerpredict.models.anchored import linear_recalibration

        super().__init__(model, np.asarray(source.classes_), int(source.n_features_in_))
        self.source = source
        self.base_score = source.base_score_vector()
        recalibrator = getattr(source, "recalibrator_", None)
        self.recalibrate = linear_recalibration(recalibrator) if recalibrator is not None else None

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities ``[n, n_classes]``, as the anchored model computes them."""
        import treelite

        rows = np.ascontiguousarray(X, dtype=np.float32)
        raw = treelite.gtil.predict(self.model, rows, nthread=1, pred_margin=True)
        values = rows.astype(np.float64)
        tree_margin = np.asarray(raw).reshape(rows.shape[0], len(self.classes_))
        margin = self.source.anchored_margin(tree_margin, values, self.base_score)
        margin -= margin.max(axis=1, keepdims=True)
        proba = np.exp(margin)
        proba /= proba.sum(axis=1, keepdims=True)
        return np.asarray(self.source.blend(proba, values, self.recalibrate))


def _anchored_to_treelite(estimator: Any) -> TreeliteClassifier | None:
    import treelite

    if getattr(estimator, "anchor_index_", None) is None:
        return _xgboost_to_treelite(estimator)  # fitted without the market: plain trees
    objective = estimator.get_params().get("objective") or ""
    if not str(objective).startswith("multi:softprob"):
        return None
    return AnchoredTreeliteClassifier(treelite.frontend.from_xgboost(estimator.get_booster()), estimator)


def _xgboost_to_treelite(estimator: Any) -> TreeliteClassifier | None:
    import treelite

    objective = estimator.get_params().get("objective") or ""
    if not str(objective).startswith("multi:softprob"):
        return None
    model = treelite.frontend.from_xgboost(estimator.get_booster())
    return TreeliteClassifier(model, np.asarray(estimator.classes_), int(estimator.n_features_in_))


def _hgb_to_treelite(estimator: Any) -> TreeliteClassifier | None:
    import treelite

    if getattr(estimator, "is_categorical_", None) is not None and np.any(estimator.is_categorical_):
        return None  # categorical splits: keep sklearn's own evaluation
    model = treelite.sklearn.import_model(estimator)
    return TreeliteClassifier(model, np.asarray(estimator.classes_), int(estimator.n_features_in_))


def _converter(estimator: Any) -> Callable[[Any], TreeliteClassifier | None] | None:
    name = f"{type(estimator).__module__}.{type(estimator).__qualname__}"
    if name == "xgboost.sklearn.XGBClassifier":
        return _xgboost_to_treelite
    if name == "soccerpredict.models.anchored.MarketAnchoredXGBClassifier":
        return _anchored_to_treelite
    if name.endswith("HistGradientBoostingClassifier") and name.startswith("sklearn."):
        return _hgb_to_treelite
    return None


def _swap_ensembles(estimator: Any) -> tuple[Any, int]:
    """``estimator`` with every supported ensemble replaced (in place, on a copy made by the caller)."""
    converter = _converter(estimator)
    if converter is not None:
        converted = converter(estimator)
        return (converted, 1) if converted is not None else (estimator, 0)
    swapped = 0
    inner = getattr(estimator, "estimator", None)
    if inner is not None and isinstance(inner, BaseEstimator):
        new_inner, n = _swap_ensembles(inner)
        if n:
            estimator.estimator = new_inner
            swapped += n
    for calibrated in getattr(estimator, "calibrated_classifiers_", None) or ():
        new_inner, n = _swap_ensembles(calibrated.estimator)
        if n:
            calibrated.estimator = new_inner
            swapped += n
    return estimator, swapped


@dataclass(frozen=True, slots=True)
class Accelerated:
    """The estimator to serve, which engine computes it, and why (when it is the native one)."""

    estimator: Any
    engine: str
    reason: str = ""


def accelerate(estimator: Any, rows: np.ndarray) -> Accelerated:
    """The champion with its tree ensembles on treelite when that reproduces it on ``rows`` (see :func:`check_rows`)."""
    try:
        candidate, swapped = _swap_ensembles(copy.deepcopy(estimator))
    except Exception as exc:  # an ensemble treelite cannot import: serve the logged model
        return _native(estimator, f"treelite cannot import the model: {type(exc).__name__}: {exc}")
    if not swapped:
        return _native(estimator, f"no tree ensemble treelite serves in {type(estimator).__name__}")
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    try:
        expected = np.asarray(estimator.predict_proba(rows), dtype=np.float64)
        got = np.asarray(candidate.predict_proba(rows), dtype=np.float64)
    except Exception as exc:
        return _native(estimator, f"the accelerated model failed on the check rows: {type(exc).__name__}: {exc}")
    if got.shape != expected.shape:
        return _native(estimator, f"the accelerated model returned shape {got.shape}, the logged one {expected.shape}")
    worst = float(np.max(np.abs(got - expected))) if got.size else 0.0
    if not worst <= TOLERANCE:
        return _native(estimator, f"the accelerated model differs by {worst:.2e} (> {TOLERANCE:g}) on the check rows")
    log.info(
        "serving %d tree ensemble(s) through treelite GTIL (max difference %.1e on %d rows)", swapped, worst, len(rows)
    )
    return Accelerated(candidate, ENGINE_TREELITE)


def _native(estimator: Any, reason: str) -> Accelerated:
    log.info("serving the logged model as it is: %s", reason)
    return Accelerated(estimator, ENGINE_NATIVE, reason)


def check_rows(example: np.ndarray | None, n_features: int, *, n_rows: int = 256, seed: int = 0) -> np.ndarray:
    """Rows to compare engines on: the logged input example, scaled copies of it, and random rows at several scales."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros((1, n_features))]
    if example is not None and example.size:
        base = np.asarray(example, dtype=np.float64).reshape(-1, n_features)
        parts.append(base)
        picks = base[rng.integers(0, len(base), n_rows // 2)]
        parts.append(picks * rng.uniform(0.0, 2.0, size=picks.shape) + rng.normal(0.0, 0.1, size=picks.shape))
    for scale in (1.0, 10.0, 100.0, 1000.0):
        parts.append(rng.normal(0.0, scale, size=(n_rows // 8, n_features)))
    return np.ascontiguousarray(np.vstack(parts), dtype=np.float32)
