"""Elo ratings: hand-computed updates, margin multiplier, same-day isolation, seasons, newcomers, parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError

from soccerpredict.features.elo import ELO_COLUMNS, EloRatings, margin_multiplier

START = pd.Timestamp("2023-08-01")
#: No home advantage in the level, no regression, no newcomer offset: pure Elo arithmetic.
PLAIN = {"k": 20.0, "home_advantage": 100.0, "regression": 0.0, "tier_gap": 0.0, "newcomer_offset": 0.0}


def _frame(rows: list[tuple], *, season: str = "2324", div: str = "E0") -> pd.DataFrame:
    """rows: (day, home, away, home goals or None, away goals or None[, season[, div]])."""
    records = []
    for row in rows:
        day, home, away, hg, ag = row[:5]
        records.append(
            {
                "match_id": f"{row[6] if len(row) > 6 else div}-{day}-{home}-{away}",
                "div": row[6] if len(row) > 6 else div,
                "season": row[5] if len(row) > 5 else season,
                "date": START + pd.Timedelta(days=day),
                "home_team": home,
                "away_team": away,
                "fthg": hg,
                "ftag": ag,
            }
        )
    frame = pd.DataFrame(records)
    return frame.astype({"fthg": "Int64", "ftag": "Int64"})


def _expected(home: float, away: float, hfa: float) -> float:
    return 1.0 / (1.0 + 10.0 ** (-(home - away + hfa) / 400.0))


def test_three_matches_by_hand() -> None:
    # Day 0: A 2-0 B. Day 1: B 1-1 C and C-A on the same day (C-A must not see B-C).
    frame = _frame([(0, "A", "B", 2, 0), (1, "B", "C", 1, 1), (1, "C", "A", 0, 3)])
    out = EloRatings(**PLAIN).fit(frame).transform(frame)

    e1 = _expected(1500, 1500, 100)  # 0.6401
    delta1 = 20 * 1.5 * (1 - e1)  # margin 2 -> multiplier 1.5
    a, b = 1500 + delta1, 1500 - delta1
    assert out.loc[0, "home_elo"] == pytest.approx(1500)
    assert out.loc[1, "home_elo"] == pytest.approx(b)
    assert out.loc[1, "away_elo"] == pytest.approx(1500)  # C is new: division level 1500
    assert out.loc[2, "home_elo"] == pytest.approx(1500)  # C's same-day draw is not applied yet
    assert out.loc[2, "away_elo"] == pytest.approx(a)
    assert out.loc[1, "elo_diff"] == pytest.approx(b - 1500)
    assert out.loc[2, "elo_home_win_prob"] == pytest.approx(_expected(1500, a, 100))
    assert round(a, 3) == 1510.798


def test_updates_of_a_day_apply_before_the_next_day() -> None:
    frame = _frame([(0, "A", "B", 1, 0), (1, "B", "C", 1, 1), (2, "C", "A", 0, 0)])
    out = EloRatings(**PLAIN).fit(frame).transform(frame)
    e1 = _expected(1500, 1500, 100)
    a = 1500 + 20 * (1 - e1)
    b = 1500 - 20 * (1 - e1)
    c = 1500 - 20 * (0.5 - _expected(b, 1500, 100))  # C was away: gains what B lost
    assert out.loc[2, "home_elo"] == pytest.approx(c)
    assert out.loc[2, "away_elo"] == pytest.approx(a)


@pytest.mark.parametrize(("margin", "multiplier"), [(0, 1.0), (1, 1.0), (2, 1.5), (3, 1.75), (4, 1.875), (7, 2.25)])
def test_world_football_elo_margin_multiplier(margin: int, multiplier: float) -> None:
    assert margin_multiplier(margin) == multiplier


def test_margin_can_be_switched_off() -> None:
    frame = _frame([(0, "A", "B", 5, 0), (1, "A", "B", None, None)])
    out = EloRatings(**(PLAIN | {"margin": False})).fit(frame).transform(frame)
    assert out.loc[1, "home_elo"] == pytest.approx(1500 + 20 * (1 - _expected(1500, 1500, 100)))


def test_season_regression_pulls_towards_the_division_level() -> None:
    frame = _frame([(0, "A", "B", 2, 0, "2223"), (100, "A", "B", None, None, "2324")])
    params = PLAIN | {"regression": 0.5, "level_rate": 0.0}
    out = EloRatings(**params).fit(frame).transform(frame)
    delta = 20 * 1.5 * (1 - _expected(1500, 1500, 100))
    assert out.loc[1, "home_elo"] == pytest.approx(1500 + delta / 2)
    assert out.loc[1, "away_elo"] == pytest.approx(1500 - delta / 2)


def test_newcomers_start_below_their_division_level_and_lower_tiers_start_lower() -> None:
    frame = _frame([(0, "A", "B", 1, 1, "2324", "E0"), (0, "C", "D", 1, 1, "2324", "E1")])
    out = EloRatings(initial_rating=1500, tier_gap=100, newcomer_offset=50).fit(frame).transform(frame)
    assert out["home_elo"].tolist() == [1450.0, 1350.0]


def test_promoted_club_keeps_its_rating_in_the_new_division() -> None:
    rows = [(0, "A", "B", 3, 0, "2223", "E1"), (200, "A", "C", None, None, "2324", "E0")]
    out = EloRatings(**(PLAIN | {"level_rate": 0.0})).fit(_frame(rows)).transform(_frame(rows))
    assert out.loc[1, "home_elo"] == pytest.approx(1500 + 20 * 1.75 * (1 - _expected(1500, 1500, 100)))


def test_unplayed_fixtures_get_ratings_but_change_nothing() -> None:
    with_fixture = _frame([(0, "A", "B", None, None), (1, "A", "B", None, None), (2, "B", "A", 1, 0)])
    out = EloRatings(**PLAIN).fit(with_fixture).transform(with_fixture)
    assert out["home_elo"].tolist() == [1500.0, 1500.0, 1500.0]


def test_output_is_aligned_to_the_input_index_and_ordered_columns() -> None:
    frame = _frame([(1, "B", "C", 1, 1), (0, "A", "B", 2, 0)])
    frame.index = ["late", "early"]
    out = EloRatings(**PLAIN).fit(frame).transform(frame)
    assert list(out.columns) == list(ELO_COLUMNS)
    assert list(out.index) == ["late", "early"]
    assert out.loc["early", "home_elo"] == 1500.0
    assert out.loc["late", "home_elo"] < 1500.0


def test_sklearn_conventions() -> None:
    frame = _frame([(0, "A", "B", 2, 0)])
    model = EloRatings(k=30)
    assert clone(model).get_params()["k"] == 30
    with pytest.raises(NotFittedError):
        model.transform(frame)
    with pytest.raises(InvalidParameterError):
        EloRatings(k=-1).fit(frame)
    assert list(model.fit(frame).get_feature_names_out()) == list(ELO_COLUMNS)
    assert np.isfinite(model.fit_transform(frame).to_numpy()).all()


def test_empty_frame_gives_empty_features() -> None:
    frame = _frame([(0, "A", "B", 2, 0)]).iloc[:0]
    out = EloRatings().fit(frame).transform(frame)
    assert out.empty
    assert list(out.columns) == list(ELO_COLUMNS)


def test_an_away_win_moves_the_ratings_the_other_way() -> None:
    frame = _frame([(0, "A", "B", 0, 2), (1, "A", "B", None, None)])
    out = EloRatings(**PLAIN).fit(frame).transform(frame)
    delta = 20 * 1.5 * (0 - _expected(1500, 1500, 100))  # the home side scored 0: it loses its expectation
    assert out.loc[1, "home_elo"] == pytest.approx(1500 + delta) and delta < 0
    assert out.loc[1, "away_elo"] == pytest.approx(1500 - delta)


def test_the_default_parameters_by_hand() -> None:
    """The defaults are the product's settings (conf/ does not override them): k 15, home advantage 60,
    newcomers 50 below their division's level, 100 per tier, the level following its matches at rate 0.01,
    a fifth of the way back to the level each season."""
    rows = [
        (0, "A", "B", 1, 0, "2324", "E0"),
        (1, "C", "A", None, None, "2324", "E0"),  # C new after day 0: the E0 level has moved
        (1, "D", "E", None, None, "2324", "E1"),  # E1 had no match: its level is still 1400
        (300, "A", "B", None, None, "2425", "E0"),  # a new season: A and B regress towards the level
    ]
    out = EloRatings().fit(_frame(rows)).transform(_frame(rows))
    delta = 15 * (1 - _expected(1450, 1450, 60))
    level = 1500 + 0.01 * (1450 - 1500)  # the mean of A and B before their match, 1450
    assert out.loc[0, ["home_elo", "away_elo"]].tolist() == [1450.0, 1450.0]
    assert out.loc[1, "home_elo"] == pytest.approx(level - 50)
    assert out.loc[1, "away_elo"] == pytest.approx(1450 + delta)
    assert out.loc[2, ["home_elo", "away_elo"]].tolist() == [1350.0, 1350.0]
    a, b = 1450 + delta, 1450 - delta
    assert out.loc[3, "home_elo"] == pytest.approx(a - 0.2 * (a - level))
    assert out.loc[3, "away_elo"] == pytest.approx(b - 0.2 * (b - level))


def test_each_tier_starts_tier_gap_lower_and_an_unknown_division_is_tier_one() -> None:
    from soccerpredict.features.elo import DIVISION_TIERS, initial_levels

    params = EloRatings(initial_rating=1500.0, tier_gap=100.0)
    assert (DIVISION_TIERS["E0"], DIVISION_TIERS["E1"], DIVISION_TIERS["E2"]) == (1, 2, 3)
    assert "ZZ9" not in DIVISION_TIERS
    assert initial_levels(np.array(["E0", "E1", "E2", "ZZ9"]), params) == [1500.0, 1400.0, 1300.0, 1500.0]
