"""What batch_inference publishes of the champion (components/publish.py): its run's evaluation report, with the
model card and reliability plot when they are small and its backtest (report and plots within a cap), as the
facade's ModelEvaluation under MODEL_EVALUATION_KEY."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from report_doubles import BACKTEST, REPORT, report

from components.publish import _publish_evaluation, champion_evaluation
from soccerpredict.artifacts import (
    BACKTEST_ARTIFACT,
    BACKTEST_PLOTS_ARTIFACT,
    CARD_ARTIFACT,
    EVALUATION_ARTIFACT,
    MODEL_EVALUATION_KEY,
)
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import ReportError
from soccerpredict.models.card import CARD_NAME, RELIABILITY_PNG
from soccerpredict.models.report import MAX_BACKTEST_PLOT_BYTES, MAX_CARD_BYTES, ModelEvaluation

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
NOW = datetime(2024, 8, 16, 6, 0, tzinfo=UTC)


def artifacts(
    root: Path,
    *,
    evaluation: Any = REPORT,
    card: str | None = "# Model card",
    png: bytes | None = PNG,
    backtest: Any = None,
    backtest_plots: dict[str, bytes] | None = None,
) -> Callable[[str], Path | None]:
    """A run's artifact folders as MLflow downloads them; returns the download function over them."""
    folders: dict[str, Path] = {}
    if backtest is not None:
        folders[BACKTEST_ARTIFACT] = root / "backtest"
        folders[BACKTEST_ARTIFACT].mkdir()
        (root / "backtest" / "backtest.json").write_text(json.dumps(backtest))
    if backtest_plots is not None:
        folders[BACKTEST_PLOTS_ARTIFACT] = root / "backtest_plots"
        folders[BACKTEST_PLOTS_ARTIFACT].mkdir()
        (root / "backtest_plots" / "rps_diff_by_season.csv").write_text("season,rps_diff\n")  # data, not a plot
        for name, data in backtest_plots.items():
            (root / "backtest_plots" / name).write_bytes(data)
    if evaluation is not None:
        folders[EVALUATION_ARTIFACT] = root / "evaluation"
        folders[EVALUATION_ARTIFACT].mkdir()
        (root / "evaluation" / "evaluation.json").write_text(json.dumps(evaluation))
    if card is not None or png is not None:
        folders[CARD_ARTIFACT] = root / "card"
        folders[CARD_ARTIFACT].mkdir()
        if card is not None:
            (root / "card" / CARD_NAME).write_text(card)
        if png is not None:
            (root / "card" / RELIABILITY_PNG).write_bytes(png)
    return folders.get


def test_the_report_card_and_plot_of_the_champions_run_are_carried(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path), now=NOW)
    assert published is not None
    assert (published.model, published.version, published.published_at) == ("soccer-1x2", "7", NOW.isoformat())
    assert json.loads(published.to_json())["evaluation"] == REPORT  # the report as the evaluate stage wrote it
    assert published.card == "# Model card"
    assert base64.b64decode(published.reliability_png or "") == PNG


def test_a_large_card_or_a_missing_plot_is_left_out(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path, card="x" * (MAX_CARD_BYTES + 1), png=None), now=NOW)
    assert published is not None and published.card is None and published.reliability_png is None


def test_the_backtest_report_and_its_plots_are_carried(tmp_path: Path) -> None:
    plots = {"rps_diff_by_season.png": PNG, "reliability_model.png": PNG + b"1"}
    published = champion_evaluation("7", artifacts(tmp_path, backtest=BACKTEST, backtest_plots=plots), now=NOW)
    assert published is not None and published.backtest is not None
    assert json.loads(published.to_json())["backtest"]["report"] == BACKTEST  # as the backtest stage wrote it
    carried = {plot.name: base64.b64decode(plot.png) for plot in published.backtest.plots}
    assert carried == plots  # the CSV beside them is not a plot
    titles = [plot.title for plot in published.backtest.plots]
    assert titles == [
        "Reliability: model against the closing market (10 equal-mass bins per outcome)",
        "Model minus closing market RPS by season",
    ]
    assert published.backtest.omitted == []


def test_a_backtest_plot_over_the_cap_is_left_out_and_named(tmp_path: Path) -> None:
    plots = {"rps_diff_by_season.png": PNG, "rps_diff_by_division.png": b"x" * (MAX_BACKTEST_PLOT_BYTES + 1)}
    published = champion_evaluation("7", artifacts(tmp_path, backtest=BACKTEST, backtest_plots=plots), now=NOW)
    assert published is not None and published.backtest is not None
    assert [plot.name for plot in published.backtest.plots] == ["rps_diff_by_season.png"]
    assert published.backtest.omitted == ["rps_diff_by_division.png"]


def test_a_run_without_a_backtest_publishes_its_evaluation_without_one(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path, backtest_plots={"rps_diff_by_season.png": PNG}))
    assert published is not None and published.backtest is None
    assert json.loads(published.to_json())["backtest"] is None


def test_a_backtest_without_plots_is_carried_without_them(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path, backtest=BACKTEST))
    assert published is not None and published.backtest is not None
    assert (published.backtest.plots, published.backtest.omitted) == ([], [])


def test_an_evaluation_published_before_the_backtest_was_carried_still_validates() -> None:
    old = {"model": "soccer-1x2", "version": "3", "published_at": NOW.isoformat(), "evaluation": REPORT}
    assert ModelEvaluation.from_json(json.dumps(old)).backtest is None


def test_a_malformed_backtest_report_is_an_error_naming_its_file(tmp_path: Path) -> None:
    broken = {**BACKTEST, "overall": {"n": 3}}  # no rps
    with pytest.raises(ReportError, match=r"backtest\.json is not a valid backtest report"):
        champion_evaluation("7", artifacts(tmp_path, backtest=broken))


def test_a_run_without_a_report_publishes_nothing(tmp_path: Path) -> None:
    assert champion_evaluation("7", artifacts(tmp_path, evaluation=None)) is None


def test_a_malformed_report_is_an_error_naming_its_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"evaluation\.json is not a valid evaluation report"):
        champion_evaluation("7", artifacts(tmp_path, evaluation=report(quality_gate="yes")))


def test_the_registered_champion_is_published_to_the_store(
    tmp_path: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through MLflow as register_model logs the run (artifacts ``evaluation``, ``card``, ``backtest`` and
    ``backtest_plots``) and the store."""
    from sklearn.linear_model import LogisticRegression

    from soccerpredict.registry.mlflow_log import log_and_register, use_tracking

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    use_tracking(mlflow_uri)
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"elo_diff": rng.normal(size=60), "noise": rng.normal(size=60)})
    model = LogisticRegression(max_iter=300).fit(x, np.arange(60) % 3)
    (tmp_path / "reports").mkdir()
    (evaluation := tmp_path / "reports" / "evaluation.json").write_text(json.dumps(REPORT))
    (card := tmp_path / "reports" / "model_card").mkdir()
    (card / CARD_NAME).write_text("# Model card: soccer-1x2")
    (card / RELIABILITY_PNG).write_bytes(PNG)
    (backtest := tmp_path / "reports" / "backtest.json").write_text(json.dumps(BACKTEST))
    (plots := tmp_path / "reports" / "backtest_plots").mkdir()
    (plots / "rps_diff_by_season.png").write_bytes(PNG)
    common: dict[str, Any] = {"example": x.head(5), "params": {}, "metrics": {}, "tags": {}}
    logged = {
        CARD_ARTIFACT: card,
        EVALUATION_ARTIFACT: evaluation,
        BACKTEST_ARTIFACT: backtest,
        BACKTEST_PLOTS_ARTIFACT: plots,
    }
    version = log_and_register(model, artifacts=logged, **common).version
    bare = log_and_register(model, artifacts={}, **common).version

    store = ObjectStore((tmp_path / "store").as_uri())
    assert _publish_evaluation(store, version)
    published = ModelEvaluation.from_json(store.read_bytes(MODEL_EVALUATION_KEY))
    assert published.version == version and published.card == "# Model card: soccer-1x2"
    assert json.loads(published.to_json())["evaluation"] == REPORT
    assert published.backtest is not None and published.backtest.report.seasons == BACKTEST["seasons"]
    assert [plot.name for plot in published.backtest.plots] == ["rps_diff_by_season.png"]
    # A champion whose run logged no report leaves the published copy as it was.
    assert not _publish_evaluation(store, bare)
    assert ModelEvaluation.from_json(store.read_bytes(MODEL_EVALUATION_KEY)).version == version


def test_register_model_logs_the_backtest_so_the_champion_publishes_it(
    tmp_path: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The register_model stage itself, on the backtest stage's outputs, then what batch inference publishes."""
    import joblib
    from sklearn.linear_model import LogisticRegression

    from components.features import LABEL
    from components.publish import register_model
    from soccerpredict.settings import Settings

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    monkeypatch.setattr("soccerpredict.registry.mlflow_log.git_commit", lambda *a, **k: "abc123")
    rng = np.random.default_rng(0)
    train = pd.DataFrame({"match_id": [f"m{i}" for i in range(60)], "date": pd.date_range("2023-08-01", periods=60),
                          "elo_diff": rng.normal(size=60), LABEL: np.arange(60) % 3})  # fmt: skip
    train.to_parquet(train_path := tmp_path / "train.parquet")
    (features := tmp_path / "feature_list.json").write_text(json.dumps({"columns": ["elo_diff"], "track": "pre"}))
    model = LogisticRegression(max_iter=300).fit(train[["elo_diff"]], train[LABEL])
    joblib.dump(model, model_path := tmp_path / "model.joblib")
    (evaluation := tmp_path / "evaluation.json").write_text(json.dumps(REPORT))
    (card := tmp_path / "model_card").mkdir()
    (backtest := tmp_path / "backtest.json").write_text(json.dumps(BACKTEST))
    (plots := tmp_path / "backtest_plots").mkdir()
    (plots / "rps_diff_by_season.png").write_bytes(PNG)
    registered = register_model(
        model=model_path, train=train_path, feature_list=features, evaluation=evaluation, card=card,
        backtest_report=backtest, backtest_plots=plots, registration=tmp_path / "registration.json",
        settings=Settings(home=tmp_path / "home"),
    )  # fmt: skip
    store = ObjectStore((tmp_path / "store").as_uri())
    assert _publish_evaluation(store, registered["version"])
    published = ModelEvaluation.from_json(store.read_bytes(MODEL_EVALUATION_KEY))
    assert published.backtest is not None and published.backtest.report.overall.rps == BACKTEST["overall"]["rps"]
    assert [plot.name for plot in published.backtest.plots] == ["rps_diff_by_season.png"]
