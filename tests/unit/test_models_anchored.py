"""The market-anchored XGBoost: starts from the pre-match odds, corrects them, and stays plain without them."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from xgboost import XGBClassifier

from soccerpredict.errors import ModelError
from soccerpredict.models.anchored import (
    MARKET_ANCHOR,
    MarketAnchoredXGBClassifier,
    anchor_margin,
    recalibration_inputs,
)
from soccerpredict.models.estimators import make_estimator


@pytest.fixture(scope="module")
def matches() -> tuple[pd.DataFrame, np.ndarray]:
    """Outcomes drawn from the market's probabilities, plus a statistic that shifts the home side's chances."""
    rng = np.random.default_rng(0)
    market = rng.dirichlet([4, 2.5, 3], size=3000)
    stat = rng.normal(size=len(market))
    truth = market * np.exp(np.column_stack([0.4 * stat, np.zeros_like(stat), -0.4 * stat]))
    truth /= truth.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in truth])
    frame = pd.DataFrame({"stat": stat, **{c: market[:, k] for k, c in enumerate(MARKET_ANCHOR)}})
    return frame, y


def test_margin_is_the_log_probability_and_uniform_where_odds_are_missing() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [np.nan, 0.5, 0.5], [0.0, 0.5, 0.5]])
    margin = anchor_margin(probs)
    np.testing.assert_allclose(margin[0], np.log([0.5, 0.3, 0.2]))
    np.testing.assert_array_equal(margin[1:], 0.0)


def test_without_trees_or_blend_the_model_is_the_market(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    model = MarketAnchoredXGBClassifier(n_estimators=0, market_blend=0.0).fit(frame, y)
    assert model.recalibrator_ is None
    np.testing.assert_allclose(model.predict_proba(frame), frame[list(MARKET_ANCHOR)].to_numpy(), atol=1e-6)


def test_the_trees_learn_what_the_statistic_adds(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    fit, held = slice(0, 2000), slice(2000, None)
    params = {"n_estimators": 60, "max_depth": 2, "market_blend": 0.0}
    model = make_estimator("xgb", params).fit(frame.iloc[fit], y[fit])
    probs = model.predict_proba(frame.iloc[held])
    market = frame[list(MARKET_ANCHOR)].to_numpy()[held]
    rows = np.arange(len(probs))
    # Held-out log-loss: the market plus the statistic's correction beats the market alone.
    assert -np.log(probs[rows, y[held]]).mean() < -np.log(market[rows, y[held]]).mean()
    # A higher statistic moves probability to the home side, as it was drawn.
    high, low = frame["stat"].to_numpy()[held] > 1, frame["stat"].to_numpy()[held] < -1
    assert (probs[high, 0] - market[high, 0]).mean() > 0 > (probs[low, 0] - market[low, 0]).mean()


def test_arrays_in_the_fitted_column_order_predict_the_same(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    model = MarketAnchoredXGBClassifier(n_estimators=20).fit(frame, y)
    np.testing.assert_allclose(model.predict_proba(frame.to_numpy(np.float32)), model.predict_proba(frame), atol=1e-6)
    np.testing.assert_array_equal(model.predict(frame.to_numpy(np.float32)), model.predict(frame))
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict_proba(frame), model.predict_proba(frame))
    with pytest.raises(ModelError, match="expected rows of 4 features"):
        model.predict_proba(frame.to_numpy()[:, :2])


def test_without_the_market_columns_it_is_plain_xgboost(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    stats = frame[["stat"]]
    params = {"n_estimators": 20, "max_depth": 2, "random_state": 0}
    model = MarketAnchoredXGBClassifier(**params).fit(stats, y)
    assert model.anchor_index_ is None
    plain = XGBClassifier(**params).fit(stats, y)
    np.testing.assert_array_equal(model.predict_proba(stats), plain.predict_proba(stats))


def test_it_clones_with_its_parameters_and_owns_its_margin(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    model = MarketAnchoredXGBClassifier(anchor_columns=("a", "b", "c"), n_estimators=7)
    copy = clone(model)
    assert (copy.anchor_columns, copy.n_estimators) == (("a", "b", "c"), 7)
    assert "anchor_columns" not in model.get_xgb_params()
    with pytest.raises(ModelError, match="computes its own base_margin"):
        model.fit(frame, y, base_margin=np.zeros((len(y), 3)))


@pytest.fixture(scope="module")
def biased_market() -> tuple[pd.DataFrame, np.ndarray]:
    """Prices with a favourite-longshot bias: the true probabilities are the market's, sharpened."""
    rng = np.random.default_rng(1)
    market = rng.dirichlet([4, 2.5, 3], size=6000)
    truth = market**1.6
    truth /= truth.sum(axis=1, keepdims=True)
    y = np.array([rng.choice(3, p=row) for row in truth])
    frame = pd.DataFrame({"stat": rng.normal(size=len(y)), **{c: market[:, k] for k, c in enumerate(MARKET_ANCHOR)}})
    return frame, y


def _log_loss(probs: np.ndarray, y: np.ndarray) -> float:
    return float(-np.log(probs[np.arange(len(y)), y]).mean())


def test_the_recalibration_learns_the_markets_bias(biased_market: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = biased_market
    fit, held = slice(0, 4000), slice(4000, None)
    # No trees, all weight on the recalibration: what the logistic regression alone makes of the prices.
    model = MarketAnchoredXGBClassifier(n_estimators=0, market_blend=1.0).fit(frame.iloc[fit], y[fit])
    market = frame[list(MARKET_ANCHOR)].to_numpy()[held]
    assert _log_loss(model.predict_proba(frame.iloc[held]), y[held]) < _log_loss(market, y[held])
    # It sharpens the prices as they were biased: the favourite's probability goes up.
    probs = model.predict_proba(frame.iloc[held])
    favourite = market.argmax(axis=1)
    rows = np.arange(len(favourite))
    assert (probs[rows, favourite] > market[rows, favourite]).mean() > 0.8


def test_the_blend_weighs_the_two_forecasts(biased_market: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = biased_market
    params = {"n_estimators": 10, "max_depth": 2, "random_state": 0}
    boosted = MarketAnchoredXGBClassifier(market_blend=0.0, **params).fit(frame, y).predict_proba(frame)
    recalibrated = MarketAnchoredXGBClassifier(market_blend=1.0, **params).fit(frame, y).predict_proba(frame)
    blended = MarketAnchoredXGBClassifier(market_blend=0.25, **params).fit(frame, y).predict_proba(frame)
    np.testing.assert_allclose(blended, 0.75 * boosted + 0.25 * recalibrated, atol=1e-6)
    np.testing.assert_allclose(blended.sum(axis=1), 1.0, atol=1e-6)


def test_matches_without_odds_get_the_boosted_model_alone(biased_market: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = biased_market
    holed = frame.copy()
    holed.loc[::5, list(MARKET_ANCHOR)] = np.nan
    params = {"n_estimators": 10, "max_depth": 2, "random_state": 0}
    blended = MarketAnchoredXGBClassifier(market_blend=0.5, **params).fit(holed, y).predict_proba(holed)
    boosted = MarketAnchoredXGBClassifier(market_blend=0.0, **params).fit(holed, y).predict_proba(holed)
    np.testing.assert_allclose(blended[::5], boosted[::5], atol=1e-6)
    assert np.abs(blended[1::5] - boosted[1::5]).max() > 1e-3


def test_the_recalibration_reads_log_odds_and_the_overround() -> None:
    probs = np.array([[0.5, 0.3, 0.2], [0.2, 0.3, 0.5]])
    inputs = recalibration_inputs(probs)
    assert inputs.shape == (2, 5)
    np.testing.assert_allclose(inputs[:, 0], [np.log(2.5), -np.log(2.5)])  # home against away: antisymmetric
    np.testing.assert_allclose(inputs[0, 1], inputs[1, 1])  # the draw is priced the same in both
    assert recalibration_inputs(probs, np.array([0.05, 0.06])).shape == (2, 8)


def test_the_blend_weight_is_checked(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    with pytest.raises(ModelError, match="market_blend must lie in"):
        MarketAnchoredXGBClassifier(market_blend=1.5, n_estimators=1).fit(frame, y)
    params = MarketAnchoredXGBClassifier(market_blend=0.3).get_xgb_params()
    assert not {"anchor_columns", "overround_column", "market_blend"} & set(params)
