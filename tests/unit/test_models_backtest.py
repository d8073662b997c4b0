"""Backtest: walk-forward never trains on the test season or later; bootstrap intervals; group reports; leaks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_models_synthetic import synthetic_matches

from soccerpredict.errors import ModelError
from soccerpredict.models.backtest import FitPredict, leak_check, paired_bootstrap_diff, report_by_group, walk_forward
from soccerpredict.models.baselines import EloLogitBaseline
from soccerpredict.models.metrics import METRICS, PROB_COLUMNS, evaluate
from soccerpredict.models.tuning import season_start_year

TEST_SEASONS = ["2021", "1920"]  # deliberately out of order: walk_forward sorts them


def _elo_fit_predict(calls: list[tuple[set[str], set[str]]]) -> FitPredict:
    def fit_predict(
        X_train: pd.DataFrame,
        y_train: np.ndarray,
        meta_train: pd.DataFrame,
        X_test: pd.DataFrame,
        meta_test: pd.DataFrame,
    ) -> np.ndarray:
        calls.append((set(meta_train["season"]), set(meta_test["season"])))
        return EloLogitBaseline().fit(X_train, y_train).predict_proba(X_test)

    return fit_predict


def test_each_test_season_is_trained_only_on_earlier_seasons() -> None:
    data = synthetic_matches(n_seasons=4, per_season=100)
    calls: list[tuple[set[str], set[str]]] = []
    walk_forward(_elo_fit_predict(calls), data.X, data.y, data.meta, TEST_SEASONS)
    assert [test for _, test in calls] == [{"1920"}, {"2021"}]
    for train, test in calls:
        assert max(map(season_start_year, train)) < season_start_year(next(iter(test)))
    assert calls[0][0] == {"1718", "1819"} and calls[1][0] == {"1718", "1819", "1920"}


def test_predictions_frame_has_one_row_per_test_match() -> None:
    data = synthetic_matches(n_seasons=4, per_season=100)
    preds = walk_forward(_elo_fit_predict([]), data.X, data.y, data.meta, TEST_SEASONS, progress=True)
    assert len(preds) == 200
    assert {"row", "match_index", "match_id", "season", "div", "date", *PROB_COLUMNS, "y"} <= set(preds.columns)
    assert (preds["y"].to_numpy() == data.y[preds["row"]]).all()
    assert (preds["match_id"].to_numpy() == data.meta["match_id"].to_numpy()[preds["row"]]).all()
    assert np.allclose(preds[list(PROB_COLUMNS)].sum(axis=1), 1.0)


def test_a_test_season_without_history_is_an_error() -> None:
    data = synthetic_matches(n_seasons=2, per_season=50)
    with pytest.raises(ModelError, match="1718"):
        walk_forward(_elo_fit_predict([]), data.X, data.y, data.meta, ["1718"])


def test_bad_predictions_are_an_error() -> None:
    data = synthetic_matches(n_seasons=2, per_season=50)
    with pytest.raises(ModelError, match=r"shape \(3, 3\) for season 1819; expected \(50, 3\)"):
        walk_forward(lambda *args: np.ones((3, 3)) / 3, data.X, data.y, data.meta, ["1819"])


def test_bootstrap_interval_covers_the_true_difference() -> None:
    rng = np.random.default_rng(0)
    true_diff, covered = -0.01, 0
    for seed in range(20):
        base = rng.uniform(0.1, 0.3, 400)
        other = base + true_diff + rng.normal(0.0, 0.05, 400)
        result = paired_bootstrap_diff(other, base, n_boot=500, seed=seed)
        covered += result.lo <= true_diff <= result.hi
    assert covered >= 16  # nominal 95%: 19 of 20 expected, 16 leaves room for chance


def test_bootstrap_is_deterministic_and_ordered() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.uniform(0, 0.3, 300), rng.uniform(0, 0.3, 300)
    first = paired_bootstrap_diff(a, b, seed=4)
    assert first == paired_bootstrap_diff(a, b, seed=4)
    assert first.lo <= first.mean_diff <= first.hi
    assert first.mean_diff == pytest.approx(float(np.mean(a - b)))
    assert paired_bootstrap_diff(a, a) == (0.0, 0.0, 0.0)


def test_bootstrap_rejects_mismatched_scores() -> None:
    with pytest.raises(ModelError):
        paired_bootstrap_diff([0.1, 0.2], [0.1, np.nan])


def _preds_and_truth() -> tuple[pd.DataFrame, np.ndarray]:
    data = synthetic_matches(n_seasons=4, per_season=150, seed=2)
    preds = walk_forward(_elo_fit_predict([]), data.X, data.y, data.meta, ["1920", "2021"])
    return preds, data.true_probs[preds["row"]]


def test_report_by_group_scores_every_group_against_the_benchmark() -> None:
    preds, truth = _preds_and_truth()
    truth[:10] = np.nan  # matches without a market price
    report = report_by_group(preds, truth, n_boot=200)
    assert len(report) == preds.groupby(["div", "season"]).ngroups
    assert list(report.columns[:3]) == ["div", "season", "n"]
    assert {*METRICS, *(f"bench_{m}" for m in METRICS), "rps_diff", "rps_diff_lo", "rps_diff_hi"} <= set(report)
    assert report["n"].sum() == len(preds) and report["n_bench"].sum() == len(preds) - 10
    first = report.iloc[0]
    rows = ((preds["div"] == first["div"]) & (preds["season"] == first["season"])).to_numpy()
    assert first["rps"] == pytest.approx(evaluate(preds.loc[rows, list(PROB_COLUMNS)], preds.loc[rows, "y"])["rps"])
    assert (report["rps_diff_lo"] <= report["rps_diff_hi"]).all()


def test_overall_report_and_the_truth_beats_an_estimated_model() -> None:
    preds, truth = _preds_and_truth()
    overall = report_by_group(preds, truth, by=(), n_boot=300).iloc[0]
    assert overall["n"] == overall["n_bench"] == len(preds)
    assert overall["rps_diff"] > 0  # the fitted logit cannot beat the true probabilities


def test_report_rejects_a_misaligned_benchmark() -> None:
    preds, truth = _preds_and_truth()
    with pytest.raises(ModelError, match="aligned"):
        report_by_group(preds, truth[:-1])


def test_leak_check_fires_when_the_model_beats_the_market_by_too_much() -> None:
    warnings = leak_check(0.190, 0.195)
    assert len(warnings) == 1 and "closing odds" in warnings[0] and "0.0050" in warnings[0]
    assert leak_check(0.194, 0.195) == []
    assert leak_check(0.200, 0.195) == []


def test_leak_check_per_group() -> None:
    warnings = leak_check({"E0": 0.19, "I1": 0.20, "SP1": 0.1}, {"E0": 0.20, "I1": 0.20})
    assert len(warnings) == 1 and "E0" in warnings[0]
