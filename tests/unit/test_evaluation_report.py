"""The typed evaluation report (soccerpredict.models.report): what the evaluate stage writes is what every reader
validates, the JSON keys stay as they were, and a malformed report is an error naming its file."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path

import pytest
from report_doubles import BACKTEST, REPORT, report

from soccerpredict.errors import ModelError, ReportError
from soccerpredict.models.report import BacktestReport, EvaluationReport, ModelEvaluation


def test_a_report_round_trips_with_the_same_keys_and_values(tmp_path: Path) -> None:
    path = tmp_path / "evaluation.json"
    path.write_text(json.dumps(REPORT))
    parsed = EvaluationReport.read(path)
    assert json.loads(parsed.to_json()) == REPORT
    assert EvaluationReport.read(parsed.write(tmp_path / "again.json")) == parsed


def test_the_typed_view_names_the_model_the_market_and_the_baselines() -> None:
    parsed = EvaluationReport.model_validate(REPORT)
    assert parsed.model_scores.rps == 0.1968
    assert parsed.metrics[parsed.benchmark_key].n == 744
    assert parsed.baselines == ["climatology", "elo_logit"]
    assert parsed.quality_gate.passed and parsed.data.test_seasons == ["2324"]


def test_keys_a_newer_writer_adds_are_kept() -> None:
    newer = report(lineage={"commit": "abc"})
    newer["metrics"]["model"]["auc"] = 0.61
    assert json.loads(EvaluationReport.model_validate(newer).to_json()) == newer


def test_nan_stays_nan_on_disk() -> None:
    comparisons = {"market": {"rps_diff": math.nan, "lo": math.nan, "hi": math.nan, "n": 0}}
    text = EvaluationReport.model_validate(report(comparisons=comparisons)).to_json()
    assert '"rps_diff": NaN' in text
    assert math.isnan(EvaluationReport.from_json(text).comparisons["market"].lo)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("content", "names"),
    [
        (b"{not json", "Invalid JSON"),
        (json.dumps({k: v for k, v in REPORT.items() if k != "quality_gate"}).encode(), "quality_gate"),
        (json.dumps(report(metrics={"model": {"log_loss": 0.9}})).encode(), "metrics.model.rps"),
        (json.dumps(report(data={"test_seasons": "2324"})).encode(), "data.test_seasons"),
    ],
)
def test_a_malformed_report_is_an_error_naming_the_file_and_the_field(
    tmp_path: Path, content: bytes, names: str
) -> None:
    path = tmp_path / "evaluation.json"
    path.write_bytes(content)
    with pytest.raises(ReportError, match=r"evaluation\.json is not a valid evaluation report") as raised:
        EvaluationReport.read(path)
    assert names in str(raised.value) and isinstance(raised.value, ModelError)


def test_a_missing_report_says_to_run_the_evaluate_stage(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"cannot read the evaluation report .*absent.json.*run the evaluate stage"):
        EvaluationReport.read(tmp_path / "absent.json")


def test_find_reads_the_report_of_an_artifact_folder_and_skips_other_files(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not json")
    (tmp_path / "other.json").write_text(json.dumps({"kind": "not a report"}))
    assert EvaluationReport.find(tmp_path) is None
    (tmp_path / "evaluation").write_text(json.dumps(REPORT))  # the Kubeflow artifact has no suffix
    assert EvaluationReport.find(tmp_path) == EvaluationReport.model_validate(REPORT)
    (tmp_path / "evaluation").write_text(json.dumps(report(metrics="none")))
    with pytest.raises(ReportError, match="evaluation is not a valid evaluation report"):
        EvaluationReport.find(tmp_path)


def test_the_published_evaluation_round_trips_and_names_its_source() -> None:
    png = base64.b64encode(b"\x89PNG fake bytes").decode()
    published = ModelEvaluation(
        model="soccer-1x2",
        version="7",
        published_at="2024-08-16T06:00:00+00:00",
        evaluation=EvaluationReport.model_validate(REPORT),
        card="# card",
        reliability_png=png,
    )
    assert ModelEvaluation.from_json(published.to_json()) == published
    assert json.loads(published.to_json())["evaluation"] == REPORT
    with pytest.raises(ReportError, match="s3://bucket/key is not a valid published evaluation: version"):
        ModelEvaluation.from_json(
            json.dumps({**json.loads(published.to_json()), "version": None}), source="s3://bucket/key"
        )


def test_find_tells_a_backtest_report_from_an_evaluation_report(tmp_path: Path) -> None:
    (tmp_path / "evaluation.json").write_text(json.dumps(REPORT))
    assert BacktestReport.find(tmp_path) is None  # an evaluation report has no rows by division and season
    (tmp_path / "evaluation.json").unlink()
    (tmp_path / "backtest_report").write_text(json.dumps(BACKTEST))  # the Kubeflow artifact has no suffix
    assert BacktestReport.find(tmp_path) == BacktestReport.model_validate(BACKTEST)
    assert EvaluationReport.find(tmp_path) is None


def test_the_published_evaluation_carries_the_backtest_and_validates_without_it() -> None:
    plot = {"name": "rps_diff_by_season.png", "title": "Model minus closing market RPS by season", "png": "iVBO"}
    published = {"model": "soccer-1x2", "version": "7", "published_at": "2024-08-16T06:00:00+00:00"}
    with_backtest = ModelEvaluation.model_validate(
        {**published, "evaluation": REPORT, "backtest": {"report": BACKTEST, "plots": [plot]}}
    )
    assert (
        with_backtest.backtest is not None and with_backtest.backtest.report.overall.rps == BACKTEST["overall"]["rps"]
    )
    assert ModelEvaluation.from_json(with_backtest.to_json()) == with_backtest
    assert ModelEvaluation.model_validate({**published, "evaluation": REPORT}).backtest is None
