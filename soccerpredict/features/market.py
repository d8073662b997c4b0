"""The market feature group: de-vigged pre-match average odds and the bookmakers' margin.

Reads only the pre-match average odds (:data:`ODDS_PRE_AVG`, known days before kick-off); the de-vig
methods and the closing-odds benchmark live in :mod:`soccerpredict.features.devig`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import StrOptions

from soccerpredict.data.columns import ODDS_PRE_AVG
from soccerpredict.features.base import MatchFrameTransformer
from soccerpredict.features.devig import DEVIG_METHODS, devig, odds_array, overround

__all__ = ["MARKET_COLUMNS", "MARKET_PROB_COLUMNS", "MarketProbabilities"]

#: The de-vigged pre-match probabilities, home, draw, away (what the market-anchored model starts from).
MARKET_PROB_COLUMNS: tuple[str, ...] = ("market_p_home", "market_p_draw", "market_p_away")
MARKET_COLUMNS: tuple[str, ...] = (*MARKET_PROB_COLUMNS, "market_overround")


class MarketProbabilities(MatchFrameTransformer):
    """Market features from the pre-match average odds: de-vigged 1X2 probabilities and the overround."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"method": [StrOptions(set(DEVIG_METHODS))]}
    feature_names = MARKET_COLUMNS
    required_columns = ODDS_PRE_AVG
    needs_arrays = False

    def __init__(self, *, method: str = "shin") -> None:
        self.method = method

    def _transform(self, frame: pd.DataFrame, arrays: object) -> pd.DataFrame:
        odds = odds_array(frame, ODDS_PRE_AVG)
        probs = np.atleast_2d(devig(odds, self.method))
        values = {name: probs[:, j] for j, name in enumerate(MARKET_PROB_COLUMNS)}
        values["market_overround"] = np.atleast_1d(overround(odds))
        return pd.DataFrame(values, index=frame.index)
