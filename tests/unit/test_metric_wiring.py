"""Who sets the metrics the alerts and dashboards read: the pipeline's run record, the facade's published
objects (predictions age, drift, pipeline runs), the predictor's champion (age, evaluation) and the worker's
queue sampler."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from api_doubles import closed_port_url_as
from prometheus_client import CollectorRegistry

from serving.stack import free_port
from soccerpredict.artifacts import PIPELINE_RUNS_KEY, PREDICTIONS_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.models.report import EvaluationReport
from soccerpredict.monitoring.metrics import (
    METRICS,
    SET_BY,
    Metrics,
    build,
    record_drift,
    record_evaluation,
    record_pipeline_runs,
)
from soccerpredict.monitoring.pipeline_runs import read_runs, record_run

EVALUATION = {
    "model_name": "xgb",
    "created": "2024-08-15T21:03:11+00:00",
    "track": "pre_match",
    "model_key": "model",
    "data": {"test_seasons": ["2223", "2324"]},
    "metrics": {
        "model": {"rps": 0.1971, "log_loss": 0.98, "ece": 0.021},
        "market": {"rps": 0.1952, "ece": 0.014, "n": 700},
        "climatology": {"rps": 0.2231, "ece": 0.008, "n": 760},
    },
    "quality_gate": {"passed": True, "beats": {"climatology": True}},
}
REPORT = EvaluationReport.model_validate(EVALUATION)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> Metrics:
    return build(registry)


def value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


def series(registry: CollectorRegistry, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in registry.collect()
        for s in family.samples
        if s.name == name
    }


def test_every_metric_says_who_sets_it() -> None:
    assert set(SET_BY) == {spec.name for spec in METRICS}
    assert all(SET_BY.values())


# --- drift, evaluation, pipeline runs: the published JSON onto the gauges --------------------------------------


def test_record_drift_reads_the_stage_summary(metrics: Metrics, registry: CollectorRegistry) -> None:
    summary = {
        "drifted_share": 0.5,
        "features": [
            {"feature": "elo_diff", "score": 0.01, "method": "K-S p_value", "threshold": 0.05, "drifted": True},
            {"feature": "rest", "score": 0.02, "method": "Wasserstein distance (normed)", "threshold": 0.1,
             "drifted": False},
        ],
    }  # fmt: skip
    record_drift(metrics, summary)
    assert value(registry, "soccerpredict_model_feature_drift_score", feature="elo_diff", method="K-S p_value") == 0.01
    assert series(registry, "soccerpredict_model_feature_drifted") == {
        (("feature", "elo_diff"),): 1.0,
        (("feature", "rest"),): 0.0,
    }
    assert value(registry, "soccerpredict_model_drifted_features_share") == 0.5
    record_drift(metrics, {"features": {"rest": {"score": 0.3, "method": "psi", "drifted": True}}})
    assert series(registry, "soccerpredict_model_feature_drift_score") == {
        (("feature", "rest"), ("method", "psi")): 0.3
    }
    assert (
        value(registry, "soccerpredict_model_drifted_features_share") == 1.0
    )  # computed from the flags when not given


def test_record_evaluation_labels_the_model_champion(metrics: Metrics, registry: CollectorRegistry) -> None:
    record_evaluation(metrics, REPORT)
    assert series(registry, "soccerpredict_model_eval_rps") == {
        (("model", "champion"), ("test_seasons", "2223,2324")): 0.1971,
        (("model", "market"), ("test_seasons", "2223,2324")): 0.1952,
        (("model", "climatology"), ("test_seasons", "2223,2324")): 0.2231,
    }
    assert value(registry, "soccerpredict_model_calibration_error", model="champion", test_seasons="2223,2324") == 0.021
    record_evaluation(metrics, None)
    assert (
        series(registry, "soccerpredict_model_eval_rps") == {}
        and series(registry, "soccerpredict_model_calibration_error") == {}
    )


def test_record_pipeline_runs_counts_only_new_runs(metrics: Metrics, registry: CollectorRegistry) -> None:
    seen: dict[str, int] = {}
    record_pipeline_runs(metrics, {"runs": {"success": 3, "failed": 1}, "last_success": 200.0}, seen)
    assert value(registry, "soccerpredict_pipeline_runs_total", status="success") == 3
    assert value(registry, "soccerpredict_pipeline_last_success_timestamp_seconds") == 200.0
    record_pipeline_runs(metrics, {"runs": {"success": 3, "failed": 2}, "last_failure": 300.0}, seen)
    record_pipeline_runs(metrics, {"runs": {"success": 3, "failed": 2}}, seen)  # the same record again
    assert value(registry, "soccerpredict_pipeline_runs_total", status="failed") == 2
    assert value(registry, "soccerpredict_pipeline_last_failure_timestamp_seconds") == 300.0


def test_run_record_keeps_counts_and_the_last_run(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path.as_uri())
    assert read_runs(store) == {"runs": {}}
    record_run(store, "success", stage="monitor_drift", now=100.0)
    record_run(store, "failed", stage="validate_raw", error="GateError: x" * 200, now=200.0)
    record = store.read_json(PIPELINE_RUNS_KEY)
    assert record["runs"] == {"success": 1, "failed": 1}
    assert (record["last_success"], record["last_failure"]) == (100.0, 200.0)
    assert record["last_run"]["status"] == "failed" and record["last_run"]["stage"] == "validate_raw"
    assert len(record["last_run"]["error"]) == 500
    store.write_bytes(PIPELINE_RUNS_KEY, b"not json")
    assert record_run(store, "success", stage="monitor_drift", now=300.0)["runs"] == {"success": 1}
    with pytest.raises(ValueError, match="status"):
        record_run(store, "skipped", stage="x")  # type: ignore[arg-type]


def test_table_stages_record_failed_and_successful_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from components import drift
    from components.stage import Stage, run_stage_function
    from components.stages import STAGES, run_table_stage, stage_by_name
    from soccerpredict.errors import PipelineError
    from soccerpredict.settings import Settings

    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SOCCER_STORE_URI", raising=False)
    store = ObjectStore((tmp_path / "home" / "store").as_uri())
    work = tmp_path / "work"
    settings = Settings()

    def paths(stage: Stage) -> dict[str, Path]:
        return stage.paths_under(work)

    # A stage of the table that fails records a failed run (its inputs are missing here).
    validate = stage_by_name("validate_raw")
    with pytest.raises(PipelineError, match="missing input"):
        run_table_stage(validate, paths=paths(validate), params={}, settings=settings)
    record = store.read_json(PIPELINE_RUNS_KEY)
    assert record["runs"] == {"failed": 1} and record["last_run"]["stage"] == "validate_raw"
    assert "missing input" in record["last_run"]["error"]

    # The last stage of the table records a successful run.
    last = STAGES[-1]
    monkeypatch.setattr(drift, last.function.split(":")[1], lambda **kwargs: {"fake": True})
    for name in last.inputs.values():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text("{}")
    assert run_table_stage(last, paths=paths(last), params={}, settings=settings)["fake"] is True
    record = store.read_json(PIPELINE_RUNS_KEY)
    assert record["runs"] == {"failed": 1, "success": 1} and record["last_success"] > record["last_failure"]

    # The bare runner records nothing, and a stage outside the table (a test's own) is refused by the table's.
    stray = Stage("stray", "components.drift:monitor_drift", inputs={"x": "nowhere.json"})
    with pytest.raises(PipelineError):
        run_stage_function(stray, paths={"nowhere.json": work / "nowhere.json"}, params={}, settings=settings)
    with pytest.raises(ValueError, match="not the table's"):
        run_table_stage(stray, paths={"nowhere.json": work / "nowhere.json"}, params={}, settings=settings)
    assert store.read_json(PIPELINE_RUNS_KEY)["runs"] == {"failed": 1, "success": 1}


def test_a_store_that_fails_never_hides_the_stage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from components.stages import run_table_stage, stage_by_name
    from soccerpredict.errors import PipelineError, StoreError
    from soccerpredict.monitoring import pipeline_runs
    from soccerpredict.settings import Settings

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise StoreError("cannot write s3://bucket/monitoring/pipeline/runs.json: connection refused")

    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(pipeline_runs, "record_run", unreachable)
    stage = stage_by_name("validate_raw")
    with caplog.at_level(logging.WARNING), pytest.raises(PipelineError, match="missing input"):
        run_table_stage(stage, paths={n: tmp_path / n for n in stage.inputs.values()}, params={}, settings=Settings())
    assert "could not record the pipeline run" in caplog.text


# --- the facade: published objects onto metrics ------------------------------------------------------------


def test_precomputed_service_exports_predictions_age_and_pipeline_runs(
    tmp_path: Path, metrics: Metrics, registry: CollectorRegistry
) -> None:
    from serving.api.services.precomputed import PrecomputedService

    store = ObjectStore(tmp_path.as_uri())
    frame = pd.DataFrame(
        {
            "match_id": ["a", "b"],
            "date": pd.to_datetime(["2024-08-17", "2024-08-18"]),
            "features_as_of": ["2024-08-16T06:00:00+00:00", "2024-08-16T05:00:00+00:00"],
        }
    )
    store.write_parquet(PREDICTIONS_KEY, frame)
    record_run(store, "success", stage="monitor_drift", now=100.0)
    service = PrecomputedService(store, metrics=metrics)
    asyncio.run(service.refresh())
    assert value(registry, "soccerpredict_predictions_last_refresh_timestamp_seconds") == 1_723_788_000.0
    assert value(registry, "soccerpredict_pipeline_runs_total", status="success") == 1
    assert value(registry, "soccerpredict_pipeline_last_success_timestamp_seconds") == 100.0

    record_run(store, "failed", stage="tune_xgb", now=200.0)
    record_run(store, "failed", stage="tune_xgb", now=300.0)
    runs = tmp_path / PIPELINE_RUNS_KEY
    later = runs.stat().st_mtime_ns + 1_000_000_000
    os.utime(runs, ns=(later, later))  # a new version for certain, however coarse the file system's clock
    asyncio.run(service.refresh())
    assert value(registry, "soccerpredict_pipeline_runs_total", status="failed") == 2
    assert value(registry, "soccerpredict_pipeline_runs_total", status="success") == 1
    assert value(registry, "soccerpredict_pipeline_last_failure_timestamp_seconds") == 300.0


def test_predictions_without_a_production_time_count_from_their_load(
    tmp_path: Path, metrics: Metrics, registry: CollectorRegistry
) -> None:
    from serving.api.services.precomputed import PrecomputedService

    store = ObjectStore(tmp_path.as_uri())
    store.write_parquet(PREDICTIONS_KEY, pd.DataFrame({"match_id": ["a"], "date": pd.to_datetime(["2024-08-17"])}))
    before = time.time()
    asyncio.run(PrecomputedService(store, metrics=metrics).refresh())
    assert (value(registry, "soccerpredict_predictions_last_refresh_timestamp_seconds") or 0) >= before


# --- the predictor: the champion's age and evaluation ------------------------------------------------------


class Constant:
    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.tile((0.5, 0.3, 0.2), (len(x), 1))


def test_champion_swaps_set_its_age_and_evaluation(metrics: Metrics, registry: CollectorRegistry) -> None:
    from serving.predictor.champion import Champion, ChampionWatcher

    champions = {
        "1": Champion("1", ("a",), Constant(), evaluation=REPORT, promoted_at=1000.0),
        "2": Champion("2", ("a",), Constant()),
    }

    class Loader:
        uri = "models:/soccer-1x2@champion"
        alias = "1"

        def resolve(self) -> str:
            return self.alias

        def load(self, version: str) -> Champion:
            return champions[version]

    loader = Loader()
    watcher = ChampionWatcher(loader, metrics=metrics)
    assert asyncio.run(watcher.refresh())
    assert value(registry, "soccerpredict_model_champion_promoted_timestamp_seconds", model="soccer-1x2") == 1000.0
    assert value(registry, "soccerpredict_model_eval_rps", model="champion", test_seasons="2223,2324") == 0.1971
    loader.alias = "2"  # a version without a report or a promotion time: no stale numbers stay
    assert asyncio.run(watcher.refresh())
    assert series(registry, "soccerpredict_model_champion_promoted_timestamp_seconds") == {}
    assert series(registry, "soccerpredict_model_eval_rps") == {}


def test_mlflow_loader_reads_the_evaluation_and_the_promotion_time(
    tmp_path: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sklearn.linear_model import LogisticRegression

    from serving.predictor.champion import MlflowChampionLoader
    from soccerpredict.artifacts import ALIAS_CHAMPION, MODEL_NAME
    from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
    from soccerpredict.registry.promotion import promoted_at_tag, set_alias

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    use_tracking(mlflow_uri)
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"elo_diff": rng.normal(size=90), "noise": rng.normal(size=90)})
    model = LogisticRegression(max_iter=300).fit(x, np.arange(90) % 3)
    report = tmp_path / "evaluation.json"
    report.write_text(json.dumps(EVALUATION))
    common: dict[str, Any] = {"example": x.head(5), "params": {}, "metrics": {}, "tags": {}}
    with_report = log_and_register(model, artifacts={"evaluation": report}, **common).version
    without = log_and_register(model, artifacts={}, **common).version

    before = time.time()
    set_alias(ALIAS_CHAMPION, with_report)
    from mlflow import MlflowClient

    tag = MlflowClient().get_model_version(MODEL_NAME, with_report).tags[promoted_at_tag(ALIAS_CHAMPION)]
    assert before - 1 <= float(tag) <= time.time() + 1
    set_alias(ALIAS_CHAMPION, with_report)  # the same version again: its promotion time stays
    assert MlflowClient().get_model_version(MODEL_NAME, with_report).tags[promoted_at_tag(ALIAS_CHAMPION)] == tag

    loader = MlflowChampionLoader(mlflow_uri)
    champion = loader.load(with_report)
    assert champion.evaluation == REPORT
    assert champion.promoted_at == float(tag)
    bare = loader.load(without)  # no report; never promoted: its registration time stands in
    assert bare.evaluation is None
    assert bare.promoted_at is not None and before - 120 <= bare.promoted_at <= time.time() + 1


# --- the worker: queue depth and its /metrics server -------------------------------------------------------


def test_queue_sampler_sets_the_depth_of_each_queue(
    tmp_path: Path, metrics: Metrics, registry: CollectorRegistry
) -> None:
    from serving.common.jobs import TASK_INVALIDATE_CACHE, TASK_PREDICT_MATCHES, make_celery
    from serving.worker.metrics import QueueDepthSampler
    from soccerpredict.settings import Settings

    app = make_celery(Settings(home=tmp_path))
    sampler = QueueDepthSampler(app, metrics)
    assert sampler.sample() == {"ml": 0, "api": 0}
    for _ in range(2):
        app.send_task(TASK_PREDICT_MATCHES, args=[["m"]])
    app.send_task(TASK_INVALIDATE_CACHE)
    assert sampler.sample() == {"ml": 2, "api": 1}
    assert series(registry, "soccerpredict_async_queue_depth") == {(("queue", "ml"),): 2.0, (("queue", "api"),): 1.0}


def test_queue_sampler_survives_a_dead_broker(
    tmp_path: Path, metrics: Metrics, caplog: pytest.LogCaptureFixture
) -> None:
    from serving.common.jobs import make_celery
    from serving.worker.metrics import QueueDepthSampler
    from soccerpredict.settings import Settings

    dead_broker = closed_port_url_as("amqp", userinfo="guest:guest@", path="//")  # refused, and no one can take it
    app = make_celery(Settings(home=tmp_path, broker_url=dead_broker))
    app.conf.broker_connection_timeout = 0.5
    app.conf.broker_connection_max_retries = 0
    sampler = QueueDepthSampler(app, metrics)
    with caplog.at_level(logging.WARNING):
        assert sampler.sample() == {}
        assert sampler.sample() == {}
    assert caplog.text.count("cannot read queue depths") == 1  # said once, not at every sample


def test_worker_command_serves_metrics_only_when_a_port_is_set(tmp_path: Path) -> None:
    import httpx

    from serving.common.jobs import make_celery
    from serving.worker.metrics import on_worker_init
    from soccerpredict.settings import Settings

    app = make_celery(Settings(home=tmp_path, worker_metrics_port=0))

    class Worker:
        pass

    worker = Worker()
    worker.app = app  # type: ignore[attr-defined]
    assert on_worker_init(instance=worker, conf=app.conf, options={}) is None

    with socket.socket() as busy:
        busy.bind(("0.0.0.0", 0))
        busy.listen()
        app.conf.soccer_worker_metrics_port = busy.getsockname()[1]
        assert on_worker_init(instance=worker, conf=app.conf, options={}) is None  # logged, the worker goes on

    # The worker binds a port number it is given: one below the ephemeral range, which no outgoing connection takes.
    app.conf.soccer_worker_metrics_port = free_port()
    served = on_worker_init(instance=worker, conf=app.conf, options={"pool_cls": "solo"})
    assert served is not None
    try:
        text = httpx.get(f"http://127.0.0.1:{served.port}/metrics").text
        assert (
            "# TYPE soccerpredict_async_queue_depth gauge" in text
            and "# TYPE soccerpredict_async_jobs_total counter" in text
        )
    finally:
        served.stop()
