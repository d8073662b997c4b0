"""Tuning: expanding-window season folds (never random, never the future) and a deterministic Optuna search."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_models_synthetic import season_codes, synthetic_matches
from threadpoolctl import threadpool_limits

from soccerpredict.errors import ConfigError, ModelError
from soccerpredict.models.estimators import DEFAULT_PARAMS
from soccerpredict.models.tuning import ordered_seasons, season_folds, season_start_year, tune


@pytest.fixture(autouse=True)
def _one_openmp_thread() -> Iterator[None]:
    with threadpool_limits(1):
        yield


def test_season_codes_order_across_the_century() -> None:
    assert season_start_year("9900") == 1999 and season_start_year("0001") == 2000
    assert ordered_seasons(["0102", "9900", "0001", "9900"]) == ["9900", "0001", "0102"]


def test_folds_train_on_every_earlier_season_and_validate_on_the_latest() -> None:
    seasons = np.repeat(["1819", "1920", "2021", "2122"], 3)
    folds = season_folds(seasons, 2)
    assert [sorted(set(seasons[v])) for _, v in folds] == [["2021"], ["2122"]]
    assert [sorted(set(seasons[t])) for t, _ in folds] == [["1819", "1920"], ["1819", "1920", "2021"]]


@given(
    st.lists(st.sampled_from(season_codes(1995, 12)), min_size=1, max_size=80),
    st.integers(1, 5),
)
def test_no_validation_row_precedes_or_shares_a_training_season(seasons: list[str], n_folds: int) -> None:
    if len(set(seasons)) <= n_folds:
        with pytest.raises(ModelError, match="seasons"):
            season_folds(seasons, n_folds)
        return
    folds = season_folds(seasons, n_folds)
    years = np.array([season_start_year(s) for s in seasons])
    assert len(folds) == n_folds
    for train, valid in folds:
        assert len(train) and len(valid)
        assert years[train].max() < years[valid].min()
        assert len(set(years[valid])) == 1
        assert set(train) | set(valid) <= set(range(len(seasons)))
    # Expanding window: each fold's training rows include the previous fold's training and validation rows.
    for (train_a, valid_a), (train_b, _) in itertools.pairwise(folds):
        assert set(train_a) | set(valid_a) <= set(train_b)


def test_tune_is_deterministic_for_a_seed() -> None:
    data = synthetic_matches(n_seasons=4, per_season=150)
    first = tune("logreg", data.X, data.y, data.meta["season"], n_trials=4, seed=7, n_folds=2)
    second = tune("logreg", data.X, data.y, data.meta["season"], n_trials=4, seed=7, n_folds=2)
    assert first == second
    assert len(first.trials) == 4 and first.valid_seasons == ["1920", "2021"]
    assert first.trials[0]["params"] == {"C": DEFAULT_PARAMS["logreg"]["C"]}  # trial 0 = the defaults
    assert len(first.fold_log_loss) == 2
    assert first.cv_log_loss_mean == pytest.approx(np.mean(first.fold_log_loss))
    assert first.cv_log_loss_mean == min(t["value"] for t in first.trials)
    json.dumps(first.to_dict())


def test_zero_trials_scores_the_defaults() -> None:
    data = synthetic_matches(n_seasons=3, per_season=150)
    result = tune("logreg", data.X, data.y, data.meta["season"], n_trials=0, n_folds=2)
    assert result.best_params == {"C": DEFAULT_PARAMS["logreg"]["C"]}
    assert result.trials == [] and len(result.fold_log_loss) == 2


@pytest.mark.parametrize("name", ["hgb", "xgb"])
def test_tree_models_tune(name: str) -> None:
    data = synthetic_matches(n_seasons=3, per_season=120)
    result = tune(name, data.X, data.y, data.meta["season"], n_trials=1, n_folds=1, seed=1)
    assert set(result.best_params) == set(result.trials[0]["params"])
    assert 0.8 < result.cv_log_loss_mean < 1.3


def test_progress_bar_runs(capsys: pytest.CaptureFixture[str]) -> None:
    data = synthetic_matches(n_seasons=3, per_season=100)
    tune("logreg", data.X, data.y, data.meta["season"], n_trials=2, n_folds=1, progress=True)
    assert "tuning logreg" in capsys.readouterr().out


def test_unknown_model_is_a_config_error() -> None:
    data = synthetic_matches(n_seasons=3, per_season=50)
    with pytest.raises(ConfigError, match="unknown model"):
        tune("forest", data.X, data.y, data.meta["season"], n_trials=1)
