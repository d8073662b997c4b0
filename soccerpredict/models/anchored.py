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
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd
from xgboost import XGBClassifier

from soccerpredict.errors import ModelError
from soccerpredict.features.market import MARKET_PROB_COLUMNS

__all__ = ["MARKET_ANCHOR", "MarketAnchoredXGBClassifier", "anchor_margin"]

#: The default anchor: the market feature group's de-vigged pre-match probabilities, home, draw, away.
MARKET_ANCHOR: Final = MARKET_PROB_COLUMNS


def anchor_margin(probs: np.ndarray) -> np.ndarray:
    """``(n, 3)`` log-probabilities as a softmax margin; rows with a missing or non-positive value get 0 (uniform)."""
    values = np.asarray(probs, dtype=np.float64)
    complete = (np.isfinite(values).all(axis=1) & (values > 0).all(axis=1)).reshape(-1, 1)
    return np.where(complete, np.log(np.where(complete, values, 1.0)), 0.0)


class MarketAnchoredXGBClassifier(XGBClassifier):
    """``XGBClassifier`` whose boosting starts from the market's log-probabilities (see the module docstring).

    Args:
        anchor_columns: the home, draw and away probability columns to start from.
        **kwargs: ``XGBClassifier`` parameters.
    """

    def __init__(self, *, anchor_columns: tuple[str, ...] = MARKET_ANCHOR, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.anchor_columns = anchor_columns

    def get_xgb_params(self) -> dict[str, Any]:
        """The booster's parameters: the wrapper's own ``anchor_columns`` is not one of them."""
        params = super().get_xgb_params()
        params.pop("anchor_columns", None)
        return params

    def fit(self, X: Any, y: Any, **kwargs: Any) -> MarketAnchoredXGBClassifier:
        """Fit from the market margin when ``X`` is a frame holding every anchor column, else as plain XGBoost."""
        if "base_margin" in kwargs:
            raise ModelError("MarketAnchoredXGBClassifier computes its own base_margin from the anchor columns")
        columns = list(X.columns) if isinstance(X, pd.DataFrame) else []
        anchored = len(self.anchor_columns) == 3 and all(c in columns for c in self.anchor_columns)
        self.anchor_index_ = [columns.index(c) for c in self.anchor_columns] if anchored else None
        super().fit(X, y, base_margin=self._margin(X), **kwargs)
        return self

    def _margin(self, X: Any) -> np.ndarray | None:
        if self.anchor_index_ is None:
            return None
        values = X.to_numpy(dtype=np.float64) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] <= max(self.anchor_index_):
            raise ModelError(f"expected rows of {self.n_features_in_} features, got shape {list(values.shape)}")
        return anchor_margin(values[:, self.anchor_index_])

    def predict_proba(self, X: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        """Probabilities from the market margin plus the trees."""
        return np.asarray(super().predict_proba(X, base_margin=self._margin(X), **kwargs))

    def predict(self, X: Any, **kwargs: Any) -> Any:
        """Most probable class per row."""
        return super().predict(X, base_margin=self._margin(X), **kwargs)
