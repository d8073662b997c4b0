"""Elo ratings with home advantage, a goal-difference multiplier, season regression and one pool for all divisions.

Design (all choices sequential, so nothing depends on the future):

- **One rating pool.** A club keeps its rating when it moves between divisions, so a relegated club
  arrives in the lower division strong and a promoted club arrives weak; the divisions' levels then
  separate by themselves through these moves.
- **Division level.** Each division tracks a level: an exponential moving average (rate ``level_rate``
  per played match) of the mean pre-match rating of the two clubs. It starts at
  ``initial_rating - tier_gap * (tier - 1)`` (tiers from :data:`DIVISION_TIERS`; unknown divisions are tier 1).
- **Clubs new to the pool** (first season of a division's data, or promoted from outside the data)
  start at their division's level minus ``newcomer_offset``: newcomers are mostly promoted clubs,
  weaker than the clubs already there.
- **Season regression.** At a club's first match of a new season its rating moves ``regression`` of the
  way towards the level of the division it now plays in (squads change over the summer).
- **Update.** ``delta = k * G * (S - E)`` with ``E = 1 / (1 + 10 ** (-(home - away + home_advantage) / 400))``
  and ``G`` the World Football Elo multiplier (1 for a margin of 0-1, 1.5 for 2, (11 + margin) / 8 above).
- **Same-day matches** never see each other: the updates of a day are applied after the whole day is read.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils._param_validation import Interval

from soccerpredict.features.base import MatchArrays, MatchFrameTransformer, scatter

__all__ = ["DIVISION_TIERS", "ELO_COLUMNS", "EloRatings", "elo_pass", "margin_multiplier"]

ELO_COLUMNS: tuple[str, ...] = ("home_elo", "away_elo", "elo_diff", "elo_home_win_prob")

#: Tier of each football-data division in its country's pyramid (1 = top flight); only seeds division levels.
DIVISION_TIERS: dict[str, int] = {
    "E0": 1, "E1": 2, "E2": 3, "E3": 4, "EC": 5,
    "SC0": 1, "SC1": 2, "SC2": 3, "SC3": 4,
    "SP1": 1, "SP2": 2, "D1": 1, "D2": 2, "I1": 1, "I2": 2, "F1": 1, "F2": 2,
    "N1": 1, "B1": 1, "P1": 1, "T1": 1, "G1": 1,
}  # fmt: skip


def margin_multiplier(goal_margin: float) -> float:
    """World Football Elo goal-difference multiplier for an absolute margin."""
    if goal_margin <= 1:
        return 1.0
    if goal_margin == 2:
        return 1.5
    return (11.0 + goal_margin) / 8.0


def expected_score(rating_diff: np.ndarray | float, home_advantage: float) -> np.ndarray | float:
    """Elo expected score of the home side (win = 1, draw = 1/2) for ``home - away`` rating differences."""
    return 1.0 / (1.0 + 10.0 ** (-(np.asarray(rating_diff) + home_advantage) / 400.0))


class EloRatings(MatchFrameTransformer):
    """Pre-match Elo ratings: ``home_elo``, ``away_elo``, ``elo_diff`` (home - away) and ``elo_home_win_prob``.

    ``elo_home_win_prob`` is the Elo expected score of the home side (win probability plus half the draw
    probability), home advantage included.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k": [Interval(Real, 0, None, closed="neither")],
        "home_advantage": [Interval(Real, None, None, closed="neither")],
        "margin": ["boolean"],
        "regression": [Interval(Real, 0, 1, closed="both")],
        "initial_rating": [Interval(Real, None, None, closed="neither")],
        "tier_gap": [Interval(Real, 0, None, closed="left")],
        "newcomer_offset": [Interval(Real, None, None, closed="neither")],
        "level_rate": [Interval(Real, 0, 1, closed="both")],
    }
    feature_names = ELO_COLUMNS

    def __init__(
        self,
        *,
        k: float = 15.0,
        home_advantage: float = 60.0,
        margin: bool = True,
        regression: float = 0.2,
        initial_rating: float = 1500.0,
        tier_gap: float = 100.0,
        newcomer_offset: float = 50.0,
        level_rate: float = 0.01,
    ) -> None:
        self.k = k
        self.home_advantage = home_advantage
        self.margin = margin
        self.regression = regression
        self.initial_rating = initial_rating
        self.tier_gap = tier_gap
        self.newcomer_offset = newcomer_offset
        self.level_rate = level_rate

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        home, away = elo_pass(arrays, self)
        return scatter(
            arrays,
            {
                "home_elo": home,
                "away_elo": away,
                "elo_diff": home - away,
                "elo_home_win_prob": np.asarray(expected_score(home - away, self.home_advantage)),
            },
            frame.index,
        )


def initial_levels(divisions: np.ndarray, params: EloRatings) -> list[float]:
    """Starting level of each division: lower tiers start ``tier_gap`` points lower per tier."""
    return [params.initial_rating - params.tier_gap * (DIVISION_TIERS.get(str(d), 1) - 1) for d in divisions]


def elo_pass(a: MatchArrays, params: EloRatings) -> tuple[np.ndarray, np.ndarray]:
    """Chronological Elo pass; returns pre-match (home, away) ratings in chronological order.

    Plain Python over lists: per-element numpy indexing would be ~10x slower.
    """
    rating = [math.nan] * a.n_teams
    last_season = [-1] * a.n_teams
    level = initial_levels(a.divisions, params)
    k, hfa, regression = float(params.k), float(params.home_advantage), float(params.regression)
    offset, rate, use_margin = float(params.newcomer_offset), float(params.level_rate), bool(params.margin)
    home, away, div, season = a.home.tolist(), a.away.tolist(), a.div.tolist(), a.season.tolist()
    gd = np.where(a.played, a.home_goals - a.away_goals, np.nan).tolist()
    days = a.day.tolist()
    pre_home, pre_away = [0.0] * len(home), [0.0] * len(home)
    pending: list[tuple[int, int, float, int, float]] = []
    current_day = days[0] if days else 0
    for i, day in enumerate(days):
        if day != current_day:
            _apply(pending, rating, level, rate)
            current_day = day
        h, w, d, s = home[i], away[i], div[i], season[i]
        for team in (h, w):
            r = rating[team]
            if r != r:  # NaN: a club new to the pool
                rating[team] = level[d] - offset
            elif last_season[team] != s:
                rating[team] = r - regression * (r - level[d])
            last_season[team] = s
        rh, ra = rating[h], rating[w]
        pre_home[i], pre_away[i] = rh, ra
        g = gd[i]
        if g == g:  # played
            expected = 1.0 / (1.0 + 10.0 ** ((ra - rh - hfa) / 400.0))
            score = 1.0 if g > 0 else (0.5 if g == 0 else 0.0)
            mult = margin_multiplier(abs(g)) if use_margin else 1.0
            pending.append((h, w, k * mult * (score - expected), d, 0.5 * (rh + ra)))
    return np.asarray(pre_home, dtype=float), np.asarray(pre_away, dtype=float)


def _apply(
    pending: list[tuple[int, int, float, int, float]], rating: list[float], level: list[float], rate: float
) -> None:
    """Apply one day's rating updates and division-level updates, then empty ``pending``."""
    for h, w, delta, d, mean in pending:
        rating[h] += delta
        rating[w] -= delta
        level[d] += rate * (mean - level[d])
    pending.clear()
