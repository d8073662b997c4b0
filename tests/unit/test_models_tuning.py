"""Tuning: expanding-window season folds (never random, never the future) and a deterministic Optuna search."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from test_models_synthetic import season_codes, synthetic_matches
from threadpoolctl import threadpool_limits

from soccerpredict.errors import ConfigError, ModelError
from soccerpredict.models.estimators import DEFAULT_PARAMS
from soccerpredict.models.tuning import ordered_seasons, season_folds, season_start_year, tune
from soccerpredict.params import TuningParams


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


def test_a_training_window_keeps_only_the_seasons_just_before_each_validation_season() -> None:
    seasons = np.repeat(["1819", "1920", "2021", "2122", "2223"], 2)
    folds = season_folds(seasons, 2, train_seasons=2)
    assert [sorted(set(seasons[v])) for _, v in folds] == [["2122"], ["2223"]]
    assert [sorted(set(seasons[t])) for t, _ in folds] == [["1920", "2021"], ["2021", "2122"]]
    # A window longer than the history is every earlier season, as without one.
    wide = season_folds(seasons, 2, train_seasons=10)
    assert all(
        np.array_equal(a, b) and np.array_equal(c, d)
        for (a, c), (b, d) in zip(wide, season_folds(seasons, 2), strict=True)
    )
    with pytest.raises(ModelError, match="train_seasons"):
        season_folds(seasons, 2, train_seasons=0)


@given(
    st.lists(st.sampled_from(season_codes(1995, 12)), min_size=2, max_size=80),
    st.integers(1, 3),
    st.integers(1, 6),
)
def test_each_windowed_fold_trains_on_the_latest_seasons_before_it(
    seasons: list[str], n_folds: int, window: int
) -> None:
    order = ordered_seasons(seasons)
    if len(order) <= n_folds:
        return
    codes = np.asarray(seasons)
    for position, (train, valid) in zip(
        range(len(order) - n_folds, len(order)), season_folds(seasons, n_folds, train_seasons=window), strict=True
    ):
        assert set(codes[valid]) == {order[position]}
        assert set(codes[train]) == set(order[max(0, position - window) : position])
        # Every row of those seasons, not a sample of them.
        assert len(train) == int(np.isin(codes, order[max(0, position - window) : position]).sum())


def test_tune_with_a_window_scores_fewer_rows_and_says_so() -> None:
    data = synthetic_matches(n_seasons=4, per_season=150)
    args = ("logreg", data.X, data.y, data.meta["season"])
    windowed = tune(*args, n_trials=2, seed=7, n_folds=1, train_seasons=1)
    full = tune(*args, n_trials=2, seed=7, n_folds=1)
    assert windowed.train_seasons == 1 and full.train_seasons is None
    assert windowed.fold_log_loss != full.fold_log_loss
    # The stage writes to_dict() as JSON and select_model reads it back into a TuneResult.
    assert type(windowed)(**json.loads(json.dumps(windowed.to_dict()))) == windowed
    with pytest.raises(ValidationError):
        TuningParams(train_seasons=0)


@pytest.mark.parametrize("C", [0.01, 1.0])
def test_preprocessing_fitted_once_per_fold_scores_what_the_whole_pipeline_scores(C: float) -> None:
    from soccerpredict.models.estimators import make_estimator
    from soccerpredict.models.metrics import log_loss
    from soccerpredict.models.tuning import cross_validate

    data = synthetic_matches(n_seasons=4, per_season=150)
    X = data.X.copy()
    X.iloc[::7, 0] = np.nan  # the imputer has something to fill
    seasons = data.meta["season"].to_numpy()
    folds = season_folds(seasons, 2)
    whole = []
    for train, valid in folds:
        model = make_estimator("logreg", {"C": C}, seed=0).fit(X.iloc[train], data.y[train])
        whole.append(log_loss(model.predict_proba(X.iloc[valid]), data.y[valid]))
    assert cross_validate("logreg", {"C": C}, X, data.y, folds, seed=0) == whole


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


def _ticking_clock(step: float) -> Callable[[], float]:
    """A clock that moves ``step`` seconds each time it is read: the safety net's checks, without real time."""
    ticks = itertools.count()
    return lambda: step * next(ticks)


@pytest.mark.parametrize(
    ("n_trials", "message"),
    [
        (3, r"max_seconds=5\b.* after 1 of its 3 trial\(s\).*n_trials_by_model\.logreg"),
        (0, "after 0 of its 0 trial"),  # the defaults-only run is guarded too
    ],
)
def test_the_safety_net_fails_loudly_naming_the_trials_run(n_trials: int, message: str) -> None:
    data = synthetic_matches(n_seasons=3, per_season=100)
    with pytest.raises(ModelError, match=message):
        tune(
            "logreg",
            data.X,
            data.y,
            data.meta["season"],
            n_trials=n_trials,
            n_folds=1,
            max_seconds=5,
            clock=_ticking_clock(10),
        )


def test_a_safety_net_that_is_not_reached_changes_nothing() -> None:
    data = synthetic_matches(n_seasons=3, per_season=100)
    args = ("logreg", data.X, data.y, data.meta["season"])
    unlimited = tune(*args, n_trials=3, n_folds=1, seed=3, max_seconds=None)
    guarded = tune(*args, n_trials=3, n_folds=1, seed=3, max_seconds=100, clock=_ticking_clock(1))
    assert guarded == unlimited and len(guarded.trials) == 3


def test_per_model_trial_counts_override_the_common_one() -> None:
    params = TuningParams(n_trials=5, n_trials_by_model={"hgb": 2, "logreg": 0})
    assert [params.trials_for(name) for name in ("xgb", "hgb", "logreg")] == [5, 2, 0]


@pytest.mark.parametrize(
    "section",
    [
        {"timeout_seconds": 60},  # budgets are counted: the old time budget is rejected, not ignored
        {"n_trials": -1},
        {"n_trials_by_model": {"hgb": -1}},
        {"n_trials_by_model": {"forest": 3}},
        {"max_seconds": 0},
    ],
)
def test_malformed_budgets_are_rejected(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TuningParams.model_validate(section)


def test_the_tuning_stage_runs_the_per_model_trial_count(tmp_path: Path) -> None:
    from components.features import LABEL
    from components.modelling import tune_logreg

    data = synthetic_matches(n_seasons=3, per_season=100)
    pd.concat([data.meta, data.X], axis=1).assign(**{LABEL: data.y}).to_parquet(tmp_path / "train.parquet")
    (tmp_path / "features.json").write_text(json.dumps({"columns": list(data.X.columns)}))
    tuning = TuningParams(n_trials=6, n_trials_by_model={"logreg": 2}, n_folds=1)
    summary = tune_logreg(
        train=tmp_path / "train.parquet",
        feature_list=tmp_path / "features.json",
        tuning_logreg=tmp_path / "t.json",
        tuning=tuning,
    )
    assert summary["trials"] == 2
    assert len(json.loads((tmp_path / "t.json").read_text())["trials"]) == 2
