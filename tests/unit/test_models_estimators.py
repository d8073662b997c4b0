"""Candidate estimators: the factory, defaults inside search spaces, NaN handling, determinism."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import optuna
import pytest
from sklearn.base import clone
from test_models_synthetic import synthetic_matches
from threadpoolctl import threadpool_limits

from soccerpredict.errors import ConfigError
from soccerpredict.models.estimators import (
    DEFAULT_PARAMS,
    MODEL_NAMES,
    SEARCH_SPACES,
    make_estimator,
    sample_weight_kwargs,
    suggest_params,
)

#: Small models keep the suite fast; the defaults are exercised by the tuning tests.
SMALL = {"logreg": {}, "hgb": {"max_iter": 20}, "xgb": {"n_estimators": 20}}


@pytest.fixture(autouse=True)
def _one_openmp_thread() -> Iterator[None]:
    # On a busy two-core runner OpenMP threads of HistGradientBoosting spin against each other (10x slower).
    with threadpool_limits(1):
        yield


def test_every_model_has_defaults_and_a_search_space() -> None:
    assert set(DEFAULT_PARAMS) == set(SEARCH_SPACES) == set(MODEL_NAMES)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_defaults_lie_inside_the_search_space(name: str) -> None:
    # tune() enqueues the defaults as trial 0; Optuna rejects values outside the distributions.
    for key, dist in SEARCH_SPACES[name].items():
        assert dist.low <= DEFAULT_PARAMS[name][key] <= dist.high, key


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_fit_with_missing_values_and_return_probabilities(name: str) -> None:
    data = synthetic_matches(n_seasons=1, per_season=300, nan_share=0.2)
    model = make_estimator(name, SMALL[name]).fit(data.X, data.y)
    probs = model.predict_proba(data.X)
    assert probs.shape == (300, 3)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-6)
    assert list(model.classes_) == [0, 1, 2]


@pytest.mark.parametrize("name", ["hgb", "xgb"])
def test_tree_models_are_deterministic_for_a_seed(name: str) -> None:
    data = synthetic_matches(n_seasons=1, per_season=300)
    params = {**SMALL[name], "subsample": 0.7} if name == "xgb" else SMALL[name]
    first = make_estimator(name, params, seed=3).fit(data.X, data.y).predict_proba(data.X)
    second = clone(make_estimator(name, params, seed=3)).fit(data.X, data.y).predict_proba(data.X)
    assert np.array_equal(first, second)


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_sample_weights_reach_every_model(name: str) -> None:
    data = synthetic_matches(n_seasons=1, per_season=300)
    plain = make_estimator(name, SMALL[name]).fit(data.X, data.y).predict_proba(data.X)
    weights = np.where(np.arange(300) < 150, 0.05, 1.0)  # the first half barely counts
    weighted = make_estimator(name, SMALL[name]).fit(data.X, data.y, **sample_weight_kwargs(name, weights))
    assert not np.allclose(weighted.predict_proba(data.X), plain)
    unit = make_estimator(name, SMALL[name]).fit(data.X, data.y, **sample_weight_kwargs(name, np.ones(300)))
    np.testing.assert_allclose(unit.predict_proba(data.X), plain, atol=1e-6)


def test_params_override_defaults() -> None:
    model = make_estimator("logreg", {"C": 0.1})
    assert model.get_params()["model__C"] == 0.1
    assert model.get_params()["model__max_iter"] == DEFAULT_PARAMS["logreg"]["max_iter"]
    assert make_estimator("xgb").get_params()["objective"] == "multi:softprob"


def test_unknown_model_or_parameter_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown model"):
        make_estimator("forest")
    with pytest.raises(ConfigError, match="max_dpeth"):
        make_estimator("xgb", {"max_dpeth": 3})


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_suggested_params_build_a_model(name: str) -> None:
    fixed = {key: DEFAULT_PARAMS[name][key] for key in SEARCH_SPACES[name]}
    params = suggest_params(optuna.trial.FixedTrial(fixed), name)
    assert params == fixed
    make_estimator(name, params)
