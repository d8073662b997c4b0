"""Head-to-head: the earlier meetings of the two clubs, at either venue, seen from today's home side.

Meetings are grouped by the unordered pair of clubs and stored from the perspective of the club with the
lower code; a match reads its pair's last meeting of a strictly earlier date and turns it round when
today's home side is the other club.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from soccerpredict.features.base import GroupHistory, MatchArrays, MatchFrameTransformer

__all__ = ["H2H_COLUMNS", "HeadToHead", "head_to_head"]

H2H_COLUMNS: tuple[str, ...] = (
    "h2h_meetings",
    "h2h_home_win_share",
    "h2h_draw_share",
    "h2h_away_win_share",
    "h2h_goal_diff",
)


class HeadToHead(MatchFrameTransformer):
    """Earlier meetings of the two clubs: their number, and over the last ``last_n`` the result shares and
    mean goal difference from today's home side (NaN when the clubs never met; ``h2h_meetings`` is then 0).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"last_n": [Interval(Integral, 1, None, closed="left")]}
    feature_names = H2H_COLUMNS

    def __init__(self, *, last_n: int = 6) -> None:
        self.last_n = last_n

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        values = head_to_head(arrays, last_n=self.last_n)
        return pd.DataFrame(values.T, index=frame.index, columns=list(H2H_COLUMNS), copy=False)


def head_to_head(a: MatchArrays, *, last_n: int) -> np.ndarray:
    """(len(H2H_COLUMNS), rows) head-to-head features in input row order."""
    played = np.flatnonzero(a.played)
    first = np.minimum(a.home, a.away)
    pair = first * a.n_teams + np.maximum(a.home, a.away)
    # Result of each meeting for the pair's first club: win, draw, loss, goal difference.
    first_at_home = a.home[played] == first[played]
    gd = np.where(first_at_home, 1.0, -1.0) * (a.home_goals[played] - a.away_goals[played])
    values = np.vstack([gd > 0, gd == 0, gd < 0, gd]).astype(float)
    history = GroupHistory(pair[played], a.day[played], values)
    target_pair, target_day = a.to_input_order(pair), a.to_input_order(a.day)
    pos = history.previous(target_pair, target_day)
    meetings = history.rows_so_far(pos).astype(float)
    win, draw, loss, diff = history.window_means(pos, last_n)
    flip = a.to_input_order(a.home != first)
    return np.vstack(
        [meetings, np.where(flip, loss, win), draw, np.where(flip, win, loss), np.where(flip, -diff, diff)]
    )
