"""pi-ratings, the Poisson goals model and its shots-on-target twin: updates, weekly refits, probabilities."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import poisson

from soccerpredict.features.ratings import (
    GOALS_MODEL_COLUMNS,
    PI_COLUMNS,
    SHOTS_MODEL_COLUMNS,
    GoalsModel,
    PiRatings,
    ShotsModel,
    division_country,
    pi_expected_goal_diff,
    poisson_outcome_probs,
)

MONDAY = pd.Timestamp("2023-07-31")


def _frame(rows: list[tuple], *, div: str = "E0") -> pd.DataFrame:
    """rows: (day after a Monday, home, away, home goals or None, away goals or None)."""
    frame = pd.DataFrame(
        [
            {
                "match_id": f"{div}-{day}-{home}-{away}",
                "div": div,
                "season": "2324",
                "date": MONDAY + pd.Timedelta(days=day),
                "home_team": home,
                "away_team": away,
                "fthg": hg,
                "ftag": ag,
            }
            for day, home, away, hg, ag in rows
        ]
    )
    return frame.astype({"fthg": "Int64", "ftag": "Int64"})


def test_pi_ratings_by_hand() -> None:
    # A beats B 2-0 when both are rated 0: error 2, psi = 3 * log10(1 + 2).
    frame = _frame([(0, "A", "B", 2, 0), (1, "B", "A", None, None), (1, "A", "B", None, None)])
    out = PiRatings(lam=0.1, gamma=0.5, level_rate=0.0).fit(frame).transform(frame)
    psi = 3 * math.log10(3)
    assert out.loc[0, ["pi_home", "pi_away"]].tolist() == [0.0, 0.0]
    # B's home rating moved by gamma * (its away change); A's away rating by gamma * (its home change).
    assert out.loc[1, "pi_home"] == pytest.approx(-0.5 * 0.1 * psi)
    assert out.loc[1, "pi_away"] == pytest.approx(0.5 * 0.1 * psi)
    assert out.loc[2, "pi_home"] == pytest.approx(0.1 * psi)
    assert out.loc[2, "pi_away"] == pytest.approx(-0.1 * psi)
    assert out.loc[2, "pi_diff"] == pytest.approx(0.2 * psi)
    expected_gd = pi_expected_goal_diff(np.array([0.1 * psi])) - pi_expected_goal_diff(np.array([-0.1 * psi]))
    assert out.loc[2, "pi_expected_gd"] == pytest.approx(expected_gd[0])
    assert list(out.columns) == list(PI_COLUMNS)


def test_pi_expected_goal_diff_is_odd_with_diminishing_returns() -> None:
    ratings = np.array([-3.0, 0.0, 1.5, 3.0])
    assert pi_expected_goal_diff(ratings).tolist() == pytest.approx([-9.0, 0.0, 10**0.5 - 1, 9.0])


def test_pi_same_day_matches_do_not_see_each_other() -> None:
    frame = _frame([(0, "A", "B", 4, 0), (0, "C", "A", None, None)])
    out = PiRatings().fit(frame).transform(frame)
    assert out.loc[1, "pi_away"] == 0.0


def _league(weeks: int, strong: str = "S") -> pd.DataFrame:
    """Four clubs, a round of two matches every Saturday; the strong club wins 4-0 every time."""
    clubs = ["S", "W", "X", "Y"]
    rows = []
    for week in range(weeks):
        rotation = clubs[1:][week % 3 :] + clubs[1:][: week % 3]
        pairs = [(clubs[0], rotation[0]), (rotation[1], rotation[2])]
        for home, away in pairs if week % 2 == 0 else [(b, a) for a, b in pairs]:
            hg, ag = (4, 0) if home == strong else (0, 4) if away == strong else (1, 1)
            rows.append((7 * week + 5, home, away, hg, ag))
    return _frame(rows)


def test_goals_model_learns_attack_and_defence_from_earlier_weeks_only() -> None:
    frame = _league(12)
    out = GoalsModel().fit(frame).transform(frame)
    assert list(out.columns) == list(GOALS_MODEL_COLUMNS)
    assert out.iloc[:2].isna().all().all()  # first week: no history at all
    last = out.iloc[-2:]
    strong = frame.iloc[-2:][["home_team", "away_team"]].eq("S").any(axis=1)
    row = last[strong.to_numpy()].iloc[0]
    strong_home = frame.loc[row.name, "home_team"] == "S"
    xg_strong, xg_other = (row.gm_home_xg, row.gm_away_xg) if strong_home else (row.gm_away_xg, row.gm_home_xg)
    assert xg_strong > 2.0 > 0.5 > xg_other
    p_strong = row.gm_p_home if strong_home else row.gm_p_away
    assert p_strong > 0.7
    probs = out[["gm_p_home", "gm_p_draw", "gm_p_away"]].dropna().to_numpy()
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_goals_model_refits_weekly_so_midweek_results_wait_for_monday() -> None:
    # Tuesday's result must not reach Saturday of the same week; it does reach next Monday.
    base = [(0, "A", "B", 1, 1), (1, "C", "D", 1, 1)]
    quiet = _frame([*base, (8, "A", "C", 0, 0), (12, "A", "D", None, None), (14, "A", "D", None, None)])
    rout = _frame([*base, (8, "A", "C", 9, 0), (12, "A", "D", None, None), (14, "A", "D", None, None)])
    out_quiet = GoalsModel().fit(quiet).transform(quiet)
    out_rout = GoalsModel().fit(rout).transform(rout)
    pd.testing.assert_series_equal(out_quiet.loc[3], out_rout.loc[3])  # Saturday, same week as Tuesday
    assert out_rout.loc[4, "gm_home_xg"] > out_quiet.loc[4, "gm_home_xg"]  # the next Monday


def test_goals_model_newcomer_gets_its_division_means() -> None:
    frame = _frame([(0, "A", "B", 2, 0), (1, "C", "D", 0, 2), (7, "A", "NEW", None, None)])
    out = GoalsModel().fit(frame).transform(frame)
    assert np.isfinite(out.loc[2].to_numpy()).all()


def _with_shots(frame: pd.DataFrame, shots: dict[str, tuple[int, int]] | None = None) -> pd.DataFrame:
    """Shots on target per match: the strong club's 8-1 in its matches, 3-3 otherwise, unless given."""
    out = frame.copy()
    sot = []
    for home, away in zip(out["home_team"], out["away_team"], strict=True):
        sot.append(
            (shots or {}).get(f"{home}-{away}") or ((8, 1) if home == "S" else (1, 8) if away == "S" else (3, 3))
        )
    out["home_shots_on_target"] = pd.array([s[0] for s in sot], dtype="Int64")
    out["away_shots_on_target"] = pd.array([s[1] for s in sot], dtype="Int64")
    return out


def test_shots_model_rates_clubs_on_shots_on_target_not_goals() -> None:
    # Every score is 1-1, so the goals model cannot tell the clubs apart; the shots model can.
    frame = _with_shots(_league(12).assign(fthg=1, ftag=1).astype({"fthg": "Int64", "ftag": "Int64"}))
    out = ShotsModel().fit(frame).transform(frame)
    assert list(out.columns) == list(SHOTS_MODEL_COLUMNS)
    assert out.iloc[:2].isna().all().all()  # first week: no history
    last = pd.concat([frame[["home_team", "away_team"]], out], axis=1).iloc[-2:]
    row = last[(last[["home_team", "away_team"]] == "S").any(axis=1)].iloc[0]
    strong, other = (row.sm_home_sot, row.sm_away_sot) if row.home_team == "S" else (row.sm_away_sot, row.sm_home_sot)
    assert strong > 4.0 > 2.0 > other
    assert row.sm_sot_diff == pytest.approx(row.sm_home_sot - row.sm_away_sot)
    goals = GoalsModel().fit(frame).transform(frame).iloc[-2:]
    assert goals["gm_home_xg"].round(6).nunique() == 1  # all 1-1: the goals model sees no difference


def test_shots_model_is_nan_where_no_shot_counts_exist() -> None:
    frame = _with_shots(_league(6))
    frame.loc[frame.index < 6, ["home_shots_on_target", "away_shots_on_target"]] = pd.NA  # weeks 0-2 unrecorded
    out = ShotsModel().fit(frame).transform(frame)
    # Week 3 has no earlier shot counts: NaN, not invented division means; week 4 has week 3's.
    assert out.iloc[6:8].isna().all().all()
    assert np.isfinite(out.iloc[8:].to_numpy()).all()
    newcomer = _with_shots(_frame([(0, "A", "B", 2, 0), (1, "C", "D", 0, 2), (7, "A", "NEW", None, None)]))
    assert ShotsModel().fit(newcomer).transform(newcomer).loc[2].isna().all()


def _grid_probs(lam: float, mu: float, rho: float) -> list[float]:
    goals = np.arange(30)
    grid = np.outer(poisson.pmf(goals, lam), poisson.pmf(goals, mu))
    grid[0, 0] *= 1 - lam * mu * rho
    grid[0, 1] *= 1 + lam * rho
    grid[1, 0] *= 1 + mu * rho
    grid[1, 1] *= 1 - rho
    return [np.tril(grid, -1).sum(), np.trace(grid), np.triu(grid, 1).sum()]


@pytest.mark.parametrize(("lam", "mu", "rho"), [(1.5, 1.1, 0.0), (0.4, 2.7, 0.0), (1.3, 0.9, -0.1), (2.0, 2.0, 0.05)])
def test_poisson_outcome_probs_match_the_score_grid(lam: float, mu: float, rho: float) -> None:
    probs = poisson_outcome_probs(np.array([lam]), np.array([mu]), rho=rho, max_goals=25)
    assert probs[0].tolist() == pytest.approx(_grid_probs(lam, mu, rho), abs=1e-12)


def test_poisson_outcome_probs_keep_missing_rows_missing() -> None:
    probs = poisson_outcome_probs(np.array([np.nan, 1.0]), np.array([1.0, 1.0]))
    assert np.isnan(probs[0]).all()
    assert probs[1].sum() == pytest.approx(1.0)
    assert probs[1, 0] == pytest.approx(probs[1, 2])


@pytest.mark.parametrize(("div", "country"), [("E0", "E"), ("EC", "E"), ("SC3", "SC"), ("SP2", "SP"), ("T1", "T")])
def test_division_country(div: str, country: str) -> None:
    assert division_country(div) == country
