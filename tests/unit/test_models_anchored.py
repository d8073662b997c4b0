"""The market-anchored XGBoost: starts from the pre-match odds, corrects them, and stays plain without them."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from xgboost import XGBClassifier

from soccerpredict.errors import ModelError
from soccerpredict.models.anchored import MARKET_ANCHOR, MarketAnchoredXGBClassifier, anchor_margin
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


def test_without_trees_the_model_is_the_market(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    model = MarketAnchoredXGBClassifier(n_estimators=0).fit(frame, y)
    np.testing.assert_allclose(model.predict_proba(frame), frame[list(MARKET_ANCHOR)].to_numpy(), atol=1e-6)


def test_the_trees_learn_what_the_statistic_adds(matches: tuple[pd.DataFrame, np.ndarray]) -> None:
    frame, y = matches
    fit, held = slice(0, 2000), slice(2000, None)
    model = make_estimator("xgb", {"n_estimators": 60, "max_depth": 2}).fit(frame.iloc[fit], y[fit])
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
