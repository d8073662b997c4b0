"""Rest: days since each club's previous match, capped, and the difference.

Every match of the frame counts as a previous match, scheduled fixtures included: the fixture list is
public before kick-off, and a club due to play midweek is as tired whether or not that result is known.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from soccerpredict.features.base import GroupHistory, MatchArrays, MatchFrameTransformer

__all__ = ["REST_COLUMNS", "RestDays", "rest_days"]

REST_COLUMNS: tuple[str, ...] = ("rest_home_days", "rest_away_days", "rest_diff")


class RestDays(MatchFrameTransformer):
    """Days since each club's previous match (of a strictly earlier date), capped at ``cap_days``.

    A club's first match in the frame counts as fully rested (``cap_days``): long breaks and the start
    of the data look the same to the model. ``rest_diff`` is home minus away.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"cap_days": [Interval(Integral, 1, None, closed="left")]}
    feature_names = REST_COLUMNS

    def __init__(self, *, cap_days: int = 28) -> None:
        self.cap_days = cap_days

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        values = rest_days(arrays, cap_days=self.cap_days)
        return pd.DataFrame(values.T, index=frame.index, columns=list(REST_COLUMNS), copy=False)


def rest_days(a: MatchArrays, *, cap_days: int) -> np.ndarray:
    """(3, rows) capped rest days of the home and away club and their difference, in input row order."""
    team = np.column_stack([a.home, a.away]).ravel()
    history = GroupHistory(team, np.repeat(a.day, 2), np.empty((0, len(team))))
    day = a.to_input_order(a.day)
    rest = []
    for side in (a.home, a.away):
        pos = history.previous(a.to_input_order(side), day)
        gap = day - history.day[np.maximum(pos, 0)] if len(team) else np.zeros(len(day), dtype=np.int64)
        rest.append(np.where(pos >= 0, np.minimum(gap, cap_days), cap_days).astype(float))
    return np.vstack([rest[0], rest[1], rest[0] - rest[1]])
