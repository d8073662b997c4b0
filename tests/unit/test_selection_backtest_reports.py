"""The typed selection and backtest reports (soccerpredict.models.report): the JSON keys and values the stages
always wrote round-trip unchanged, readers get typed fields, and a malformed file is an error naming it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from soccerpredict.errors import ReportError
from soccerpredict.models.report import BacktestReport, SelectionReport

SELECTION: dict[str, Any] = {
    "model": "xgb",
    "params": {"max_depth": 3, "learning_rate": 0.05},
    "cv_log_loss": 0.9712,
    "candidates": {
        "xgb": {"name": "xgb", "best_params": {"max_depth": 3}, "cv_log_loss_mean": 0.9712, "seed": 7},
        "logreg": {"name": "logreg", "best_params": {"C": 1.0}, "cv_log_loss_mean": 0.98, "seed": 7},
    },
    "seed": 7,
}
ROW: dict[str, Any] = {
    "n": 760,
    "rps": 0.2012,
    "log_loss": 0.99,
    "brier": 0.59,
    "accuracy": 0.5,
    "ece": 0.02,
    "n_bench": 758,
    "bench_rps": 0.1995,
    "bench_log_loss": 0.98,
    "bench_brier": 0.585,
    "bench_accuracy": 0.51,
    "bench_ece": 0.015,
    "rps_diff": 0.0017,
    "rps_diff_lo": -0.0004,
    "rps_diff_hi": 0.0038,
}
BACKTEST: dict[str, Any] = {
    "model": "xgb",
    "seasons": ["2223", "2324"],
    "overall": ROW,
    "by_division_season": [{"div": "E0", "season": "2223", **ROW}, {"div": "E0", "season": "2324", **ROW}],
}


@pytest.mark.parametrize(("kind", "raw"), [(SelectionReport, SELECTION), (BacktestReport, BACKTEST)])
def test_a_report_round_trips_with_the_same_text(tmp_path: Path, kind: type[Any], raw: dict[str, Any]) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(raw, indent=2))
    parsed = kind.read(path)
    assert parsed.to_json() == path.read_text()
    assert kind.read(parsed.write(tmp_path / "again.json")) == parsed


def test_readers_get_typed_fields() -> None:
    selection = SelectionReport.model_validate(SELECTION)
    backtest = BacktestReport.model_validate(BACKTEST)
    assert (selection.model, selection.seed, selection.params["max_depth"]) == ("xgb", 7, 3)
    assert sorted(selection.candidates) == ["logreg", "xgb"]
    assert (backtest.overall.n, backtest.overall.bench_rps, backtest.seasons) == (760, 0.1995, ["2223", "2324"])


def test_a_backtest_without_market_prices_keeps_nan_on_disk() -> None:
    row = {**ROW, "n_bench": 0, **dict.fromkeys(("bench_rps", "rps_diff", "rps_diff_lo", "rps_diff_hi"), math.nan)}
    text = json.dumps({**BACKTEST, "overall": row}, indent=2)
    parsed = BacktestReport.from_json(text)
    assert parsed.overall.bench_rps is not None and math.isnan(parsed.overall.bench_rps)
    assert parsed.to_json() == text


def test_keys_a_newer_writer_adds_are_kept() -> None:
    newer = {**BACKTEST, "overall": {**ROW, "auc": 0.6}, "lineage": {"commit": "abc"}}
    assert json.loads(BacktestReport.model_validate(newer).to_json()) == newer


@pytest.mark.parametrize(
    ("kind", "raw", "field", "name"),
    [
        (SelectionReport, {k: v for k, v in SELECTION.items() if k != "seed"}, "seed", "model selection"),
        (SelectionReport, {**SELECTION, "params": [3]}, "params", "model selection"),
        (BacktestReport, {**BACKTEST, "overall": {"n": 760}}, "overall.rps", "backtest report"),
    ],
)
def test_a_malformed_report_is_an_error_naming_the_file_and_the_field(
    tmp_path: Path, kind: type[Any], raw: dict[str, Any], field: str, name: str
) -> None:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ReportError, match=f"{path} is not a valid {name}: {field}"):
        kind.read(path)


@pytest.mark.parametrize(
    ("kind", "stage"), [(SelectionReport, "the select_model stage"), (BacktestReport, "the backtest stage")]
)
def test_a_missing_report_names_the_file_and_the_stage_to_run(tmp_path: Path, kind: type[Any], stage: str) -> None:
    with pytest.raises(ReportError, match=f"cannot read the .* {tmp_path / 'nope.json'}: .*; run {stage}"):
        kind.read(tmp_path / "nope.json")


def test_not_json_at_all_is_a_report_error_too(tmp_path: Path) -> None:
    path = tmp_path / "selection.json"
    path.write_text("{not json")
    with pytest.raises(ReportError, match=f"{path} is not a valid model selection"):
        SelectionReport.read(path)
