"""The division's recent climate: how often its matches ended in a home win, a draw or an away win, and how
many goals they had, over its last played matches before the day of each match.

Divisions differ in draw rate and home advantage, and both move over time (the 2020/21 seasons without
crowds nearly erased home advantage). The club features describe the two sides; these tell a model the
base rates of the division they meet in, as known on the day. Same-day matches never see each other.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from soccerpredict.features.base import GroupHistory, MatchArrays, MatchFrameTransformer

__all__ = ["LEAGUE_COLUMNS", "DivisionClimate", "division_climate"]

LEAGUE_COLUMNS: tuple[str, ...] = (
    "league_home_win_share",
    "league_draw_share",
    "league_away_win_share",
    "league_goals",
)


class DivisionClimate(MatchFrameTransformer):
    """Result shares and mean goals per match over the division's last ``window`` played matches before the
    match's day (NaN for a division's first day in the data)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"window": [Interval(Integral, 1, None, closed="left")]}
    feature_names = LEAGUE_COLUMNS

    def __init__(self, *, window: int = 380) -> None:
        self.window = window

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        values = division_climate(arrays, window=self.window)
        return pd.DataFrame(values.T, index=frame.index, columns=list(LEAGUE_COLUMNS), copy=False)


def division_climate(a: MatchArrays, *, window: int) -> np.ndarray:
    """(len(LEAGUE_COLUMNS), rows) division climate features in input row order."""
    played = np.flatnonzero(a.played)
    gd = a.home_goals[played] - a.away_goals[played]
    goals = a.home_goals[played] + a.away_goals[played]
    values = np.vstack([gd > 0, gd == 0, gd < 0, goals]).astype(float)
    history = GroupHistory(a.div[played], a.day[played], values)
    pos = history.previous(a.to_input_order(a.div), a.to_input_order(a.day))
    return history.window_means(pos, window)
