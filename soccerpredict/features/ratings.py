"""Goal-based ratings: pi-ratings (Constantinou & Fenton 2013) and a time-decayed Poisson attack/defence model.

Both are sequential and leakage-safe: a match reads only the state built from matches of earlier dates.
Clubs new to the pool start from their division's level (pi-ratings) or division mean (goals model),
tracked from past matches only, as in :mod:`soccerpredict.features.elo`.
"""

from __future__ import annotations

import math
from dataclasses import replace
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.special import xlogy
from sklearn.utils._param_validation import Interval

from soccerpredict.data.columns import STAT_SOURCE_COLUMNS
from soccerpredict.features.base import SEQUENTIAL_COLUMNS, MatchArrays, MatchFrameTransformer, scatter

__all__ = [
    "GOALS_MODEL_COLUMNS",
    "PI_COLUMNS",
    "SHOTS_MODEL_COLUMNS",
    "GoalsModel",
    "PiRatings",
    "ShotsModel",
    "division_country",
    "goals_model_pass",
    "pi_expected_goal_diff",
    "pi_pass",
    "poisson_outcome_probs",
]

PI_COLUMNS: tuple[str, ...] = ("pi_home", "pi_away", "pi_diff", "pi_expected_gd")
GOALS_MODEL_COLUMNS: tuple[str, ...] = ("gm_home_xg", "gm_away_xg", "gm_p_home", "gm_p_draw", "gm_p_away")
SHOTS_MODEL_COLUMNS: tuple[str, ...] = ("sm_home_sot", "sm_away_sot", "sm_sot_diff")
HOME_SOT, AWAY_SOT = STAT_SOURCE_COLUMNS["HST"], STAT_SOURCE_COLUMNS["AST"]

# Constants of the pi-rating paper: a rating R means an expected goal difference of 10 ** (|R| / 3) - 1.
_PI_BASE = 10.0
_PI_SCALE = 3.0
# 1970-01-05 was a Monday: blocks of 7 days shifted by 4 start on Mondays.
_MONDAY_SHIFT = 4


def _week_monday(day: np.ndarray) -> np.ndarray:
    """The day number of the Monday that starts the week (Monday to Sunday) of each day number."""
    return (day - _MONDAY_SHIFT) // 7 * 7 + _MONDAY_SHIFT


def pi_expected_goal_diff(rating: np.ndarray) -> np.ndarray:
    """Expected goal difference implied by a pi-rating (sign kept, diminishing returns)."""
    return np.sign(rating) * (_PI_BASE ** (np.abs(rating) / _PI_SCALE) - 1.0)


class PiRatings(MatchFrameTransformer):
    """Pre-match pi-ratings: the home club's home rating, the away club's away rating, their difference.

    Args:
        lam: learning rate of the venue-specific rating (λ in the paper).
        gamma: share of that change passed on to the other venue's rating (γ).
        level_rate: moving-average rate of the division levels that seed newcomers.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "lam": [Interval(Real, 0, None, closed="neither")],
        "gamma": [Interval(Real, 0, 1, closed="both")],
        "level_rate": [Interval(Real, 0, 1, closed="both")],
    }
    feature_names = PI_COLUMNS

    def __init__(self, *, lam: float = 0.035, gamma: float = 0.7, level_rate: float = 0.01) -> None:
        self.lam = lam
        self.gamma = gamma
        self.level_rate = level_rate

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        home, away = pi_pass(arrays, lam=self.lam, gamma=self.gamma, level_rate=self.level_rate)
        values = {
            "pi_home": home,
            "pi_away": away,
            "pi_diff": home - away,
            "pi_expected_gd": pi_expected_goal_diff(home) - pi_expected_goal_diff(away),
        }
        return scatter(arrays, values, frame.index)


def _pi_goal_diff(rating: float) -> float:
    """Scalar :func:`pi_expected_goal_diff`."""
    return math.copysign(_PI_BASE ** (abs(rating) / _PI_SCALE) - 1.0, rating)


#: A played match's pending effect: (home club, away club, signed error psi, division, pre-match ratings).
_PiUpdate = tuple[int, int, float, int, float, float]


def pi_pass(a: MatchArrays, *, lam: float, gamma: float, level_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Chronological pi-rating pass; returns the pre-match (home rating of home, away rating of away)."""
    home_r, away_r = [math.nan] * a.n_teams, [math.nan] * a.n_teams
    levels = ([0.0] * len(a.divisions), [0.0] * len(a.divisions))  # (home, away) rating level per division
    home, away, div = a.home.tolist(), a.away.tolist(), a.div.tolist()
    gd = np.where(a.played, a.home_goals - a.away_goals, np.nan).tolist()
    days = a.day.tolist()
    pre_home, pre_away = [0.0] * len(home), [0.0] * len(home)
    pending: list[_PiUpdate] = []
    current_day = days[0] if days else 0
    log10 = math.log10
    for i, day in enumerate(days):
        if day != current_day:
            _apply_pi(pending, home_r, away_r, levels, (lam, gamma, level_rate))
            current_day = day
        h, w, d = home[i], away[i], div[i]
        for team in (h, w):
            if home_r[team] != home_r[team]:  # NaN: new to the pool
                home_r[team], away_r[team] = levels[0][d], levels[1][d]
        rh, ra = home_r[h], away_r[w]
        pre_home[i], pre_away[i] = rh, ra
        g = gd[i]
        if g == g:
            # Signed, diminishing-returns error: c * log10(1 + |error|), positive if the home side did better.
            error = g - (_pi_goal_diff(rh) - _pi_goal_diff(ra))
            psi = _PI_SCALE * log10(1.0 + abs(error))
            pending.append((h, w, psi if error > 0 else -psi, d, rh, ra))
    return np.asarray(pre_home, dtype=float), np.asarray(pre_away, dtype=float)


def _apply_pi(
    pending: list[_PiUpdate],
    home_r: list[float],
    away_r: list[float],
    levels: tuple[list[float], list[float]],
    rates: tuple[float, float, float],
) -> None:
    """Apply one day's pi-rating and division-level updates, then empty ``pending``."""
    lam, gamma, level_rate = rates
    level_home, level_away = levels
    for h, w, psi, d, rh, ra in pending:
        level_home[d] += level_rate * (rh - level_home[d])
        level_away[d] += level_rate * (ra - level_away[d])
        home_r[h] += lam * psi
        away_r[h] += gamma * lam * psi
        away_r[w] -= lam * psi
        home_r[w] -= gamma * lam * psi
    pending.clear()


class GoalsModel(MatchFrameTransformer):
    """Time-decayed Poisson attack/defence model, refitted per week on earlier matches only.

    Home goals ~ Poisson(home[division] * attack[home club] * defence[away club]); away goals ~
    Poisson(attack[away club] * defence[home club]). Each weekly block (Monday to Sunday) is predicted by a
    fit on the played matches of the ``window_days`` before its Monday, weighted
    ``0.5 ** (age / half_life_days)``: a midweek match never sees the same week's earlier results. The fit
    runs ``sweeps`` passes of the Poisson likelihood equations per week, warm-started from the previous
    week (one pass suffices: a week adds little data), with a gamma prior (``prior_strength`` pseudo-goals)
    shrinking each club towards its division's mean; clubs without a match in the window get the
    division's means. ``rho`` is the Dixon-Coles low-score correction (0 = independent Poisson).
    Outputs expected goals and 1X2 probabilities, usable directly as a baseline model.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "half_life_days": [Interval(Real, 0, None, closed="neither")],
        "window_days": [Interval(Integral, 1, None, closed="left")],
        "prior_strength": [Interval(Real, 0, None, closed="neither")],
        "rho": [Interval(Real, -0.2, 0.2, closed="both")],
        "sweeps": [Interval(Integral, 1, None, closed="left")],
        "max_goals": [Interval(Integral, 5, None, closed="left")],
    }
    feature_names = GOALS_MODEL_COLUMNS

    def __init__(
        self,
        *,
        half_life_days: float = 270.0,
        window_days: int = 1095,
        prior_strength: float = 5.0,
        rho: float = -0.05,
        sweeps: int = 1,
        max_goals: int = 10,
    ) -> None:
        self.half_life_days = half_life_days
        self.window_days = window_days
        self.prior_strength = prior_strength
        self.rho = rho
        self.sweeps = sweeps
        self.max_goals = max_goals

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        home_xg, away_xg = goals_model_pass(arrays, self)
        probs = poisson_outcome_probs(home_xg, away_xg, rho=self.rho, max_goals=self.max_goals)
        values = {"gm_home_xg": home_xg, "gm_away_xg": away_xg}
        values |= {name: probs[:, j] for j, name in enumerate(GOALS_MODEL_COLUMNS[2:])}
        return scatter(arrays, values, frame.index)


class ShotsModel(GoalsModel):
    """The goals model's time-decayed Poisson attack/defence fit, on shots on target instead of goals.

    Shots on target are about three times as many as goals and less noisy, so they measure a club's chances
    sooner than its goals do (an "expected goals" proxy where football-data has no xG). Only matches with both
    shot counts take part in the fit; a match is NaN unless both clubs had such a match before the week it
    falls in (older seasons and lower divisions without statistics stay NaN instead of getting invented
    division means).
    """

    feature_names = SHOTS_MODEL_COLUMNS
    required_columns = (*SEQUENTIAL_COLUMNS, HOME_SOT, AWAY_SOT)

    def _transform(self, frame: pd.DataFrame, arrays: MatchArrays) -> pd.DataFrame:
        sot = {
            column: pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[arrays.order]
            for column in (HOME_SOT, AWAY_SOT)
        }
        known = arrays.played & ~(np.isnan(sot[HOME_SOT]) | np.isnan(sot[AWAY_SOT]))
        shots = replace(arrays, home_goals=sot[HOME_SOT], away_goals=sot[AWAY_SOT], played=known)
        home_x, away_x = goals_model_pass(shots, self)
        # First day each club played a match with shot counts; a match's block starts on its Monday.
        first = np.full(arrays.n_teams, np.iinfo(np.int64).max)
        np.minimum.at(first, arrays.home[known], arrays.day[known])
        np.minimum.at(first, arrays.away[known], arrays.day[known])
        monday = _week_monday(arrays.day)
        seen = (first[arrays.home] < monday) & (first[arrays.away] < monday)
        home_x, away_x = np.where(seen, home_x, np.nan), np.where(seen, away_x, np.nan)
        values = {"sm_home_sot": home_x, "sm_away_sot": away_x, "sm_sot_diff": home_x - away_x}
        return scatter(arrays, values, frame.index)


def division_country(div: str) -> str:
    """Country part of a football-data division code: ``E1`` -> ``E``, ``SC2`` -> ``SC``, ``EC`` -> ``E``."""
    letters = div.rstrip("0123456789")
    return "E" if letters == "EC" else letters


class _PoissonState:
    """Attack, defence, home factor (per division) and latest division of every club, carried week to week."""

    def __init__(self, n_teams: int, divisions: np.ndarray) -> None:
        self.attack = np.ones(n_teams)
        self.defence = np.ones(n_teams)
        self.home = np.ones(len(divisions))
        self.team_div = np.full(n_teams, -1, dtype=np.int64)
        self.exposure: np.ndarray = np.zeros(n_teams)
        self.div_country = pd.factorize(np.array([division_country(str(d)) for d in divisions]))[0]

    def division_means(self, values: np.ndarray) -> np.ndarray:
        """Exposure-weighted mean of ``values`` per division, the global mean where a division has none."""
        known = self.team_div >= 0
        weight = self.exposure * known
        total = weight.sum()
        overall = float((weight * values).sum() / total) if total > 0 else 1.0
        div = np.where(known, self.team_div, 0)
        n_divs = len(self.home)
        sums = np.bincount(div, weights=weight * values, minlength=n_divs)
        counts = np.bincount(div, weights=weight, minlength=n_divs)
        safe = np.where(counts > 0, counts, 1.0)
        return np.where(counts > 0, sums / safe, overall)

    def pin_scale(self) -> None:
        """Rescale attack by 1/c and defence by c per country, so that the mean attack is 1 in each.

        Countries never meet, so (attack * c, defence / c) within one country predicts the same goals;
        without pinning, the fit would drift along that direction from week to week.
        """
        known = self.team_div >= 0
        country = np.where(known, self.div_country[np.maximum(self.team_div, 0)], 0)
        weight = self.exposure * known
        n = int(self.div_country.max()) + 1
        sums = np.bincount(country, weights=weight * self.attack, minlength=n)
        counts = np.bincount(country, weights=weight, minlength=n)
        scale = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), 1.0)[country]
        scale = np.where(known, scale, 1.0)
        self.attack, self.defence = self.attack / scale, self.defence * scale


def _sweep(state: _PoissonState, m: tuple[np.ndarray, ...], w: np.ndarray, kappa: float) -> None:
    """One pass of the weighted Poisson likelihood equations with a gamma prior (MAP), in place.

    ``m`` holds the window's (home club, away club, division, home goals, away goals).
    """
    h, a, d, x, y = m
    n = len(state.attack)
    att, dfc, home = state.attack, state.defence, state.home[d]
    scored = np.bincount(h, w * x, n) + np.bincount(a, w * y, n)
    exposure = np.bincount(h, w * home * dfc[a], n) + np.bincount(a, w * dfc[h], n)
    state.exposure = exposure
    prior = state.division_means(att)[np.maximum(state.team_div, 0)]
    att = (scored + kappa * prior) / (exposure + kappa)
    conceded = np.bincount(h, w * y, n) + np.bincount(a, w * x, n)
    faced = np.bincount(h, w * att[a], n) + np.bincount(a, w * home * att[h], n)
    prior = state.division_means(dfc)[np.maximum(state.team_div, 0)]
    dfc = (conceded + kappa * prior) / (faced + kappa)
    n_divs = len(state.home)
    goals, expected = np.bincount(d, w * x, n_divs), np.bincount(d, w * att[h] * dfc[a], n_divs)
    state.home = np.where(expected > 0, goals / np.where(expected > 0, expected, 1.0), state.home)
    state.attack, state.defence = att, dfc
    state.pin_scale()


def goals_model_pass(a: MatchArrays, params: GoalsModel) -> tuple[np.ndarray, np.ndarray]:
    """Expected (home, away) goals of every match, in chronological order; NaN before any history."""
    played = np.flatnonzero(a.played)
    p_day = a.day[played]
    window = (a.home[played], a.away[played], a.div[played], a.home_goals[played], a.away_goals[played])
    # 0.5 ** (age / half_life) = growth[match] / growth(monday): one exp for the whole history.
    rate = math.log(2.0) / params.half_life_days
    origin = int(p_day[0]) if len(p_day) else 0
    growth = np.exp(rate * (p_day - origin))
    mondays = _week_monday(a.day)
    starts = np.flatnonzero(np.r_[True, mondays[1:] != mondays[:-1]])
    ends = np.r_[starts[1:], len(mondays)]
    state = _PoissonState(a.n_teams, a.divisions)
    home_xg, away_xg = np.full(len(mondays), np.nan), np.full(len(mondays), np.nan)
    for first, last in zip(starts.tolist(), ends.tolist(), strict=True):
        monday = int(mondays[first])
        lo, hi = np.searchsorted(p_day, [monday - params.window_days, monday])
        if hi > lo:
            w = growth[lo:hi] * math.exp(-rate * (monday - origin))
            for _ in range(params.sweeps):
                _sweep(state, tuple(col[lo:hi] for col in window), w, params.prior_strength)
            home_xg[first:last], away_xg[first:last] = _predict(state, a, first, last)
        # Clubs' divisions as of the end of this block, for the next block's priors.
        done = played[slice(*np.searchsorted(played, [first, last]))]
        state.team_div[a.home[done]] = a.div[done]
        state.team_div[a.away[done]] = a.div[done]
    return home_xg, away_xg


def _predict(state: _PoissonState, a: MatchArrays, first: int, last: int) -> tuple[np.ndarray, np.ndarray]:
    """Expected goals of matches ``first:last``; clubs without recent matches get their division's means."""
    h, w, d = a.home[first:last], a.away[first:last], a.div[first:last]
    seen = state.exposure > 0
    att_mean, dfc_mean = state.division_means(state.attack), state.division_means(state.defence)
    att_h = np.where(seen[h], state.attack[h], att_mean[d])
    att_a = np.where(seen[w], state.attack[w], att_mean[d])
    dfc_h = np.where(seen[h], state.defence[h], dfc_mean[d])
    dfc_a = np.where(seen[w], state.defence[w], dfc_mean[d])
    return state.home[d] * att_h * dfc_a, att_a * dfc_h


def poisson_outcome_probs(
    home_xg: np.ndarray, away_xg: np.ndarray, *, rho: float = 0.0, max_goals: int = 10
) -> np.ndarray:
    """(n, 3) home/draw/away probabilities of two Poisson scores, with the Dixon-Coles correction ``rho``.

    NaN rows stay NaN; the grid is cut at ``max_goals`` and renormalised.
    """
    lam = np.asarray(home_xg, dtype=float)[:, None]
    mu = np.asarray(away_xg, dtype=float)[:, None]
    goals = np.arange(max_goals + 1)
    log_fact = np.cumsum(np.r_[0.0, np.log(goals[1:])])
    # xlogy(0, 0) = 0: an expected-goals of 0 means no goal for sure.
    p_home_goals = np.exp(xlogy(goals, lam) - lam - log_fact)
    p_away_goals = np.exp(xlogy(goals, mu) - mu - log_fact)
    away_cdf = np.cumsum(p_away_goals, axis=1)
    draw = (p_home_goals * p_away_goals).sum(axis=1)
    home = (p_home_goals[:, 1:] * away_cdf[:, :-1]).sum(axis=1)
    away = (p_away_goals[:, 1:] * np.cumsum(p_home_goals, axis=1)[:, :-1]).sum(axis=1)
    lam, mu = lam[:, 0], mu[:, 0]
    # Dixon-Coles: 0-0 and 1-1 scaled by (1 - lam*mu*rho) and (1 - rho), 1-0 and 0-1 by (1 + mu*rho), (1 + lam*rho).
    p00 = np.exp(-lam - mu)
    draw = draw - rho * p00 * lam * mu * 2.0
    home = home + rho * p00 * lam * mu
    away = away + rho * p00 * lam * mu
    probs = np.clip(np.column_stack([home, draw, away]), 0.0, None)
    return probs / probs.sum(axis=1, keepdims=True)
