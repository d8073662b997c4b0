"""XGBoost anchored on the pre-match market: the trees learn a correction to the market's log-probabilities.

On the market-aware track the de-vigged pre-match odds are by far the strongest feature, and a model that
has to rebuild them from splits ends up *worse* than the odds it reads (``soccerpredict backtest --model hgb``,
``docs/benchmarks.md``: HistGradientBoosting 0.0018 RPS behind the closing market on all divisions, the pre-match
odds alone 0.0013; on the big five 0.0007 worse than those odds, paired). Starting every match from the odds
instead, as XGBoost's ``base_margin``, leaves the trees only what the statistics add to the market, and the
boosting shrinkage keeps that correction small.

The margin of a match is ``log(p)`` of its market probabilities, so with no trees the model *is* the
market; a match without pre-match odds starts from a uniform margin and is predicted from the other
features alone. The anchor columns stay features as well. Column positions are fixed at ``fit``, so the
fitted model also predicts plain arrays in the same column order (the predictor serves float32 arrays).
Without the anchor columns in the training frame (the stats-only track) it is a plain ``XGBClassifier``.

The trees' correction is real but noisy, and trees are a poor fit for the one correction every market
needs, a smooth recalibration of its log-odds (the favourite-longshot bias, the pricing of the draw).
So the forecast is a blend: ``market_blend`` of a multinomial logistic regression on the market's
log-odds (:func:`recalibration_inputs`, fitted on the same training rows) and the rest of the boosted
model. Walk-forward on 2022/23 and 2023/24, all 22 divisions (``bench/market_levers.py``, paired against
the pre-match odds it reads, 95% intervals): the boosted model alone -0.00018 [-0.00049, +0.00014] RPS,
the recalibration alone -0.00008 [-0.00015, -0.00001], the 50/50 blend -0.00025 [-0.00042, -0.00008].
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import pandas as pd
from xgboost import XGBClassifier

from soccerpredict.errors import ModelError
from soccerpredict.features.market import MARKET_PROB_COLUMNS

__all__ = [
    "MARKET_ANCHOR",
    "MARKET_BLEND",
    "MARKET_OVERROUND",
    "MarketAnchoredXGBClassifier",
    "anchor_margin",
    "linear_recalibration",
    "recalibration_inputs",
]

#: The default anchor: the market feature group's de-vigged pre-match probabilities, home, draw, away.
MARKET_ANCHOR: Final = MARKET_PROB_COLUMNS
#: The bookmakers' margin, an input of the recalibration when the frame has it.
MARKET_OVERROUND: Final = "market_overround"
#: Weight of the recalibrated market in the forecast of a match with odds (the boosted model has the rest).
MARKET_BLEND: Final = 0.5
_EPS: Final = 1e-6


def anchor_margin(probs: np.ndarray) -> np.ndarray:
    """``(n, 3)`` log-probabilities as a softmax margin; rows with a missing or non-positive value get 0 (uniform)."""
    values = np.asarray(probs, dtype=np.float64)
    complete = (np.isfinite(values).all(axis=1) & (values > 0).all(axis=1)).reshape(-1, 1)
    return np.where(complete, np.log(np.where(complete, values, 1.0)), 0.0)


def recalibration_inputs(probs: np.ndarray, overround: np.ndarray | None = None) -> np.ndarray:
    """What the recalibration reads of ``(n, 3)`` market probabilities (and their overround, when given).

    The two log-odds (home against away, draw against not draw), their squares and product, and with the
    overround also it and its products with the log-odds: a logistic regression on these can bend the
    market's probabilities where its prices are biased. Rows must be complete (see :func:`anchor_margin`).
    """
    p = np.clip(np.asarray(probs, dtype=np.float64), _EPS, 1 - _EPS)
    odds = np.column_stack([np.log(p[:, 0] / p[:, 2]), np.log(p[:, 1] / (1 - p[:, 1]))])
    parts = [odds, odds**2, odds[:, :1] * odds[:, 1:]]
    if overround is not None:
        margin = np.nan_to_num(np.asarray(overround, dtype=np.float64).reshape(-1, 1))
        parts += [margin, margin * odds]
    return np.column_stack(parts)


def _complete(probs: np.ndarray) -> np.ndarray:
    return np.isfinite(probs).all(axis=1) & (probs > 0).all(axis=1)


class MarketAnchoredXGBClassifier(XGBClassifier):
    """``XGBClassifier`` whose boosting starts from the market's log-probabilities (see the module docstring).

    Args:
        anchor_columns: the home, draw and away probability columns to start from.
        overround_column: the market's margin, read by the recalibration when the frame has it.
        market_blend: weight of the recalibrated market in the forecast (0: the boosted model alone).
        **kwargs: ``XGBClassifier`` parameters.
    """

    def __init__(
        self,
        *,
        anchor_columns: tuple[str, ...] = MARKET_ANCHOR,
        overround_column: str | None = MARKET_OVERROUND,
        market_blend: float = MARKET_BLEND,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.anchor_columns = anchor_columns
        self.overround_column = overround_column
        self.market_blend = market_blend

    def get_xgb_params(self) -> dict[str, Any]:
        """The booster's parameters: the wrapper's own options are not among them."""
        params = super().get_xgb_params()
        for own in ("anchor_columns", "overround_column", "market_blend"):
            params.pop(own, None)
        return params

    def fit(self, X: Any, y: Any, **kwargs: Any) -> MarketAnchoredXGBClassifier:
        """Fit from the market margin when ``X`` is a frame holding every anchor column, else as plain XGBoost."""
        if "base_margin" in kwargs:
            raise ModelError("MarketAnchoredXGBClassifier computes its own base_margin from the anchor columns")
        if not 0.0 <= self.market_blend <= 1.0:
            raise ModelError(f"market_blend must lie in [0, 1], got {self.market_blend}")
        columns = list(X.columns) if isinstance(X, pd.DataFrame) else []
        anchored = len(self.anchor_columns) == 3 and all(c in columns for c in self.anchor_columns)
        self.anchor_index_ = [columns.index(c) for c in self.anchor_columns] if anchored else None
        overround = self.overround_column
        has_overround = anchored and overround is not None and overround in columns
        self.overround_index_ = columns.index(overround) if has_overround and overround is not None else None
        super().fit(X, y, base_margin=self._margin(X), **kwargs)
        self.recalibrator_ = self._fit_recalibrator(X, y, kwargs.get("sample_weight"))
        return self

    def _values(self, X: Any) -> np.ndarray:
        values = X.to_numpy(dtype=np.float64) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=np.float64)
        if self.anchor_index_ is not None and (values.ndim != 2 or values.shape[1] <= max(self.anchor_index_)):
            raise ModelError(f"expected rows of {self.n_features_in_} features, got shape {list(values.shape)}")
        return values

    def _margin(self, X: Any) -> np.ndarray | None:
        if self.anchor_index_ is None:
            return None
        return anchor_margin(self._values(X)[:, self.anchor_index_])

    def _recalibration(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows with complete market probabilities, and the recalibration's inputs for them."""
        assert self.anchor_index_ is not None
        probs = values[:, self.anchor_index_]
        rows = _complete(probs)
        overround = values[rows, self.overround_index_] if self.overround_index_ is not None else None
        return rows, recalibration_inputs(probs[rows], overround)

    def _fit_recalibrator(self, X: Any, y: Any, sample_weight: Any) -> Any:
        if self.anchor_index_ is None or self.market_blend == 0.0:
            return None
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        rows, inputs = self._recalibration(self._values(X))
        labels = np.asarray(y)[rows]
        if len(np.unique(labels)) < len(self.classes_):
            return None  # too few matches with odds to learn a recalibration of every outcome
        weights = {}
        if sample_weight is not None:
            weights["logisticregression__sample_weight"] = np.asarray(sample_weight)[rows]
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(inputs, labels, **weights)

    def predict_proba(self, X: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        """Probabilities from the market margin plus the trees, blended with the recalibrated market."""
        proba = np.asarray(super().predict_proba(X, base_margin=self._margin(X), **kwargs))
        return self.blend(proba, self._values(X))

    def anchored_margin(
        self, tree_margin: np.ndarray, values: np.ndarray, base_score: np.ndarray | None = None
    ) -> np.ndarray:
        """The booster's margin for ``values`` from its trees' raw sum (``tree_margin``, base score included).

        XGBoost's ``base_margin`` replaces its ``base_score``, so the trees' raw output of another evaluator
        (treelite, which adds the base score) becomes this model's margin by swapping one for the other.
        ``base_score`` is :meth:`base_score_vector`, passed in by a caller that computed it once.
        """
        base = self.base_score_vector() if base_score is None else base_score
        margin = np.asarray(tree_margin, dtype=np.float64) - base
        anchor = self._margin(values)
        return margin if anchor is None else margin + anchor

    def base_score_vector(self) -> np.ndarray:
        """The booster's base score per class (the intercept its trees' raw output carries)."""
        import json

        raw = json.loads(self.get_booster().save_config())["learner"]["learner_model_param"]["base_score"]
        values = json.loads(raw) if str(raw).startswith("[") else [float(raw)]
        scores = np.asarray(values, dtype=np.float64).reshape(-1)
        return np.broadcast_to(scores, (len(self.classes_),)).copy() if scores.size == 1 else scores

    def blend(
        self,
        proba: np.ndarray,
        values: np.ndarray,
        recalibrate: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> np.ndarray:
        """The boosted model's ``proba`` for ``values`` blended with the recalibrated market (in place).

        ``recalibrate`` computes the recalibrator's probabilities from its inputs in place of its own
        ``predict_proba`` (the predictor passes :func:`linear_recalibration`'s, without sklearn's per-call checks).
        """
        recalibrator = getattr(self, "recalibrator_", None)
        if recalibrator is None:
            return proba
        rows, inputs = self._recalibration(values)
        if rows.any():
            share = self.market_blend
            market = (recalibrate or recalibrator.predict_proba)(inputs)
            proba[rows] = (1.0 - share) * proba[rows] + share * market
        return proba


def linear_recalibration(recalibrator: Any) -> Callable[[np.ndarray], np.ndarray]:
    """The fitted recalibration (standard scaling, then a multinomial logit) as one numpy function.

    The same arithmetic as the pipeline's ``predict_proba`` for three classes, a softmax of the scaled inputs'
    linear scores, without its input validation (most of a single row's cost).
    """
    scaler, logit = recalibrator.named_steps["standardscaler"], recalibrator.named_steps["logisticregression"]
    mean = np.asarray(scaler.mean_, dtype=np.float64)
    scale = np.asarray(scaler.scale_, dtype=np.float64)
    coef = np.asarray(logit.coef_, dtype=np.float64).T
    intercept = np.asarray(logit.intercept_, dtype=np.float64)
    if coef.shape[1] < 3:
        raise ModelError("linear_recalibration needs a multinomial logit over three classes")

    def recalibrate(inputs: np.ndarray) -> np.ndarray:
        scores = ((np.asarray(inputs, dtype=np.float64) - mean) / scale) @ coef + intercept
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(axis=1, keepdims=True))

    return recalibrate

    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Most probable class per row."""
        return np.asarray(self.classes_)[self.predict_proba(X, **kwargs).argmax(axis=1)]
