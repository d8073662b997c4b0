"""Odds to probabilities: golden Shin values, multiplicative, vectorisation, invalid odds, benchmark separation."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import brentq

from soccerpredict.data.columns import ODDS_CLOSE, ODDS_PRE_AVG
from soccerpredict.errors import DataError
from soccerpredict.features.devig import (
    BENCHMARK_COLUMNS,
    devig,
    market_benchmark_probs,
    multiplicative_probs,
    odds_array,
    overround,
    shin_probs,
    shin_z,
)
from soccerpredict.features.market import MARKET_COLUMNS, MarketProbabilities

GOLDEN_ODDS = [2.7, 2.3, 4.4]


def test_golden_multiplicative() -> None:
    assert np.round(multiplicative_probs(GOLDEN_ODDS), 4).tolist() == [0.3587, 0.4211, 0.2201]


def test_golden_shin() -> None:
    assert np.round(shin_probs(GOLDEN_ODDS), 4).tolist() == [0.3593, 0.4232, 0.2174]


def test_overround() -> None:
    assert overround(GOLDEN_ODDS) == pytest.approx(1 / 2.7 + 1 / 2.3 + 1 / 4.4 - 1)


def test_overround_is_per_book() -> None:
    books = np.array([[2.7, 2.3, 4.4], [2.0, 3.5, 4.0], [1.5, 4.0, 7.0]])
    assert overround(books) == pytest.approx([overround(row) for row in books])
    assert overround(books)[1] == pytest.approx(1 / 2.0 + 1 / 3.5 + 1 / 4.0 - 1)


def _shin_reference(odds: np.ndarray) -> np.ndarray:
    implied = 1 / odds
    booksum = implied.sum()

    def probs(z: float) -> np.ndarray:
        return (np.sqrt(z * z + 4 * (1 - z) * implied**2 / booksum) - z) / (2 * (1 - z))

    z = brentq(lambda z: probs(z).sum() - 1, 0, 0.99, xtol=1e-15)
    return probs(z)


def test_vectorised_shin_matches_a_scalar_root_finder() -> None:
    rng = np.random.default_rng(7)
    fair = rng.dirichlet([3, 2, 2], size=200)
    odds = 1 / (fair * rng.uniform(1.01, 1.25, size=(200, 1)))
    probs = shin_probs(odds)
    assert np.allclose(probs.sum(axis=1), 1.0)
    for row in range(0, 200, 20):
        assert probs[row] == pytest.approx(_shin_reference(odds[row]), abs=1e-10)


@pytest.mark.parametrize("margin", [1.005, 1.015, 1.02, 1.025, 1.029])
def test_sharp_books_get_their_own_shin_correction(margin: float) -> None:
    # Closing books such as Pinnacle run at 2-3% overround: Shin's z is small there but not zero, and the
    # probabilities must still match an independent root finder (not fall back to normalising).
    fair = np.array([[0.62, 0.23, 0.15], [0.30, 0.30, 0.40], [0.45, 0.28, 0.27]])
    odds = 1 / (fair * margin)
    z = shin_z(odds)
    assert (z > 0).all() and (z < 0.05).all(), z
    probs = shin_probs(odds)
    for row in range(len(odds)):
        assert probs[row] == pytest.approx(_shin_reference(odds[row]), abs=1e-10)
    assert not np.allclose(probs, multiplicative_probs(odds), atol=1e-6)


def test_shin_shortens_favourites_less_than_longshots() -> None:
    # Shin's correction removes more margin from the longshot than the multiplicative method.
    shin, mult = shin_probs([1.3, 5.0, 10.0]), multiplicative_probs([1.3, 5.0, 10.0])
    assert shin[0] > mult[0]
    assert shin[2] < mult[2]


def test_invalid_rows_are_nan_and_fair_books_fall_back_to_normalising() -> None:
    odds = np.array([[2.7, 2.3, 4.4], [np.nan, 3.0, 3.0], [1.0, 3.0, 3.0], [3.0, 3.0, 3.0], [4.0, 4.0, 2.0]])
    probs = shin_probs(odds)
    assert np.isnan(probs[1:3]).all()
    assert probs[3] == pytest.approx([1 / 3] * 3)
    assert probs[4] == pytest.approx([0.25, 0.25, 0.5])  # booksum exactly 1: nothing to remove
    assert shin_z(odds)[[3, 4]].tolist() == [0.0, 0.0]
    assert np.isnan(overround(odds)[1])


def test_devig_rejects_unknown_methods() -> None:
    assert devig(GOLDEN_ODDS, "multiplicative") == pytest.approx(multiplicative_probs(GOLDEN_ODDS))
    with pytest.raises(ValueError, match="unknown de-vig method"):
        devig(GOLDEN_ODDS, "power")


def _frame() -> pd.DataFrame:
    frame = pd.DataFrame({"match_id": ["m1", "m2"]}, index=[10, 20])
    frame[list(ODDS_PRE_AVG)] = [[2.7, 2.3, 4.4], [np.nan, np.nan, np.nan]]
    frame[list(ODDS_CLOSE)] = [[2.5, 2.4, 4.6], [1.5, 4.0, 7.0]]
    return frame


def test_market_features_use_pre_match_odds_only() -> None:
    frame = _frame()
    out = MarketProbabilities().fit(frame).transform(frame)
    assert list(out.columns) == list(MARKET_COLUMNS)
    assert list(out.index) == [10, 20]
    assert np.round(out.loc[10, ["market_p_home", "market_p_draw", "market_p_away"]], 4).tolist() == [
        0.3593,
        0.4232,
        0.2174,
    ]
    assert out.loc[20].isna().all()
    changed_close = frame.assign(**{c: 9.9 for c in ODDS_CLOSE})
    pd.testing.assert_frame_equal(out, MarketProbabilities().fit(frame).transform(changed_close))


def test_benchmark_uses_closing_odds_only() -> None:
    frame = _frame()
    bench = market_benchmark_probs(frame)
    assert list(bench.columns) == ["match_id", *BENCHMARK_COLUMNS]
    assert bench.loc[20, list(BENCHMARK_COLUMNS)].tolist() == pytest.approx(shin_probs([1.5, 4.0, 7.0]).tolist())
    changed_pre = frame.assign(**{c: 9.9 for c in ODDS_PRE_AVG})
    pd.testing.assert_frame_equal(bench, market_benchmark_probs(changed_pre))
    mult = market_benchmark_probs(frame, method="multiplicative")
    assert mult.loc[10, list(BENCHMARK_COLUMNS)].tolist() == pytest.approx(multiplicative_probs([2.5, 2.4, 4.6]))


def test_devig_defaults_to_shin() -> None:
    odds = [[1.9, 3.6, 4.2], [2.5, 3.2, 2.9]]
    np.testing.assert_array_equal(devig(odds), shin_probs(odds))
    np.testing.assert_array_equal(devig(odds, "multiplicative"), multiplicative_probs(odds))


def test_the_benchmark_keeps_match_ids_and_follows_the_method() -> None:
    frame = pd.DataFrame(
        {"match_id": ["a", "b"], **dict(zip(ODDS_CLOSE, ([1.9, 2.5], [3.6, 3.2], [4.2, 2.9]), strict=True))},
        index=[10, 11],
    )
    odds = frame[list(ODDS_CLOSE)].to_numpy()
    shin = market_benchmark_probs(frame)
    assert shin["match_id"].tolist() == ["a", "b"] and shin.index.tolist() == [10, 11]
    np.testing.assert_array_equal(shin[list(BENCHMARK_COLUMNS)].to_numpy(), shin_probs(odds))
    flat = market_benchmark_probs(frame, method="multiplicative")
    np.testing.assert_array_equal(flat[list(BENCHMARK_COLUMNS)].to_numpy(), multiplicative_probs(odds))
    assert list(market_benchmark_probs(frame.drop(columns="match_id")).columns) == list(BENCHMARK_COLUMNS)


def test_odds_columns_are_read_as_numbers_or_nan_and_a_missing_one_is_named() -> None:
    frame = pd.DataFrame({"odds_close_home": ["2.1", "n/a"], "odds_close_draw": [3.4, None], "odds_close_away": [3, 4]})
    values = odds_array(frame, ODDS_CLOSE)
    assert values.dtype == np.float64
    np.testing.assert_array_equal(values, [[2.1, 3.4, 3.0], [np.nan, np.nan, 4.0]])
    message = "the match frame has no odds column(s) ['odds_close_away']; build it with the football-data parser"
    with pytest.raises(DataError, match=f"^{re.escape(message)}$"):
        odds_array(frame.drop(columns="odds_close_away"), ODDS_CLOSE)
