"""The real ``/metrics`` of the facade, the predictor and the worker pass ``promtool check metrics`` (format and
lint), after traffic that gives every metric of the service a series.

- facade: the FastAPI app of :func:`serving.api.app.create_app`, through TestClient, with a v2 predictor double
  over HTTP, a Redis URL nobody answers (cache errors) and published objects in a tmp store;
- predictor: kserve's own ``/metrics`` handler (the route the kserve server mounts) over the process registry,
  after inferences through :class:`serving.predictor.model.SoccerPredictor`;
- worker: the HTTP server of :func:`serving.worker.metrics.serve_metrics` after tasks ran (eagerly, so the task
  signals count them) and the queue sampler read the embedded SQLite broker.

promtool comes from Debian's ``prometheus`` package: without it these tests fail, they do not skip.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator

import httpx
import pandas as pd
import pytest
from api_doubles import FakeV2Predictor, closed_port_url, closed_redis_url, eventually
from fastapi.testclient import TestClient
from predictor_doubles import StaticLoader
from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR, CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from soccerpredict.artifacts import DRIFT_REPORT_KEY, DRIFT_SUMMARY_KEY, MATCH_FEATURES_KEY, PREDICTIONS_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.models.report import EvaluationReport
from soccerpredict.monitoring.metrics import METRICS
from soccerpredict.monitoring.pipeline_runs import record_run
from soccerpredict.settings import Settings

KEY = "exposition-key"
HEADERS = {"X-API-Key": KEY}
KNOWN = {"E0-20240817-arsenal-wolves": (0.5, 0.3, 0.2), "E0-20240818-everton-brighton": (0.4, 0.3, 0.3)}
EVALUATION = EvaluationReport.model_validate(
    {
        "model_name": "xgb",
        "created": "2024-08-15T21:03:11+00:00",
        "track": "pre_match",
        "model_key": "model",
        "data": {"test_seasons": ["2324"]},
        "metrics": {"model": {"rps": 0.197, "ece": 0.021}, "market": {"rps": 0.195, "ece": 0.015}},
        "quality_gate": {"passed": True},
    }
)

#: Which metrics of the table each service sets (the rest of the table is still declared, without samples).
FACADE = {
    "soccerpredict_http_requests_total",
    "soccerpredict_http_request_duration_seconds",
    "soccerpredict_predictions_total",
    "soccerpredict_prediction_duration_seconds",
    "soccerpredict_prediction_cache_errors_total",
    "soccerpredict_predictor_errors_total",
    "soccerpredict_predictor_batch_rows",
    "soccerpredict_model_info",
    "soccerpredict_model_feature_drift_score",
    "soccerpredict_model_feature_drifted",
    "soccerpredict_model_drifted_features_share",
    "soccerpredict_predictions_last_refresh_timestamp_seconds",
    "soccerpredict_async_jobs_total",
    "soccerpredict_pipeline_runs_total",
    "soccerpredict_pipeline_last_success_timestamp_seconds",
    "soccerpredict_pipeline_last_failure_timestamp_seconds",
}
PREDICTOR = {
    "soccerpredict_predictions_total",
    "soccerpredict_prediction_duration_seconds",
    "soccerpredict_prediction_cache_errors_total",
    "soccerpredict_model_info",
    "soccerpredict_model_swaps_total",
    "soccerpredict_model_champion_promoted_timestamp_seconds",
    "soccerpredict_model_eval_rps",
    "soccerpredict_model_calibration_error",
}
WORKER = {"soccerpredict_async_jobs_total", "soccerpredict_async_queue_depth"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's prometheus package (make system-deps)")
    return path


def check_metrics(text: str) -> None:
    """``promtool check metrics`` on stdin: exit 0 and not one lint problem."""
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, f"promtool check metrics failed:\n{result.stdout}{result.stderr}"
    assert not (result.stdout + result.stderr).strip(), f"lint problems:\n{result.stdout}{result.stderr}"


def with_samples(text: str) -> set[str]:
    """Exported names (the table's, prefixed) of the families that have at least one sample."""
    names = set()
    for family in text_string_to_metric_families(text):
        if family.samples:
            names.add(family.name + "_total" if family.type == "counter" else family.name)
    return names


# --- facade -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def facade_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from serving.api.app import create_app

    root = tmp_path_factory.mktemp("facade")
    store = ObjectStore((root / "store").as_uri())
    predictions = pd.DataFrame(
        {
            "match_id": list(KNOWN),
            "div": "E0",
            "date": pd.to_datetime(["2024-08-17", "2024-08-18"]),
            "home_team": ["Arsenal", "Everton"],
            "away_team": ["Wolves", "Brighton"],
            "p_home": [0.5, 0.4],
            "p_draw": [0.3, 0.3],
            "p_away": [0.2, 0.3],
            "model_version": "3",
            "features_as_of": "2024-08-16T06:00:00+00:00",
            "status": "scheduled",
        }
    )
    store.write_parquet(PREDICTIONS_KEY, predictions)
    store.write_json(
        DRIFT_SUMMARY_KEY,
        {
            "drifted_share": 0.5,
            "features": [
                {"feature": "elo_diff", "score": 0.01, "method": "K-S p_value", "threshold": 0.05, "drifted": True},
                {"feature": "odds_home", "score": 0.02, "method": "Wasserstein distance (normed)", "threshold": 0.1,
                 "drifted": False},
            ],
        },
    )  # fmt: skip
    store.write_bytes(DRIFT_REPORT_KEY, b"<html></html>")
    record_run(store, "failed", stage="validate_raw", error="GateError: 3 expectations failed", now=1_723_700_000.0)
    record_run(store, "success", stage="monitor_drift", now=1_723_788_000.0)

    registry = CollectorRegistry()
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):  # what the default registry has
        registry.register(collector)
    with FakeV2Predictor(KNOWN, version="3") as fake:
        settings = Settings(
            home=root / "home",
            api_keys=[KEY],
            predictor_url=fake.url,
            redis_url=closed_redis_url(),
            precomputed_poll_seconds=0.05,
        )
        app = create_app(settings, store=store, registry=registry)
        with TestClient(app) as client:

            def loaded() -> bool:
                text = client.get("/metrics").text
                return "soccerpredict_model_feature_drifted{" in text and "soccerpredict_pipeline_runs_total{" in text

            assert eventually(loaded, timeout=15.0), "the published objects were not loaded"
            match = next(iter(KNOWN))
            assert client.get("/health/live").status_code == 200
            client.get("/health/ready")
            assert client.get(f"/predict/{match}", headers=HEADERS).status_code == 200
            assert client.get(f"/predict/{match}", headers=HEADERS).status_code == 200
            assert client.get("/predict/E0-20000101-nobody-no-one", headers=HEADERS).status_code == 404
            assert client.get(f"/predict/{match}").status_code == 401
            assert client.get("/no/such/path").status_code == 404
            assert client.post("/predict/async/", json=[match], headers=HEADERS).status_code == 202
            assert client.get("/predict/predictions/", headers=HEADERS).status_code == 200
            assert client.get("/monitoring/drift", headers=HEADERS).status_code == 200
            assert client.get("/monitoring/model", headers=HEADERS).status_code == 200
            fake.fail_status = 503
            assert client.get(f"/predict/{list(KNOWN)[1]}", headers=HEADERS).status_code == 503
            fake.fail_status = None
            yield client.get("/metrics").text


def test_facade_metrics_pass_promtool(facade_text: str) -> None:
    check_metrics(facade_text)


def test_facade_exposes_its_metrics(facade_text: str) -> None:
    assert with_samples(facade_text) >= FACADE
    for spec in METRICS:  # every family is declared, even those the facade never sets
        assert f"# TYPE {spec.exported} {spec.kind}" in facade_text
    assert 'route="/predict/{match_id}"' in facade_text and 'route="<unmatched>"' in facade_text
    assert 'soccerpredict_pipeline_runs_total{status="failed"} 1.0' in facade_text
    assert "soccerpredict_pipeline_last_success_timestamp_seconds 1.723788e+09" in facade_text
    assert "soccerpredict_predictions_last_refresh_timestamp_seconds 1.723788e+09" in facade_text  # 2024-08-16T06:00Z


# --- predictor ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def predictor_text(tmp_path_factory: pytest.TempPathFactory) -> str:
    from fastapi import FastAPI
    from kserve import InferInput, InferRequest
    from kserve.protocol.rest.server import metrics_handler

    from serving.common.cache import PredictionCache
    from serving.predictor.features import FeatureSnapshot
    from serving.predictor.model import SoccerPredictor
    from soccerpredict.monitoring.metrics import default_metrics

    store = ObjectStore(tmp_path_factory.mktemp("predictor").as_uri())
    store.write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1", "m2"], "a": [2.0, -2.0], "b": [0.0, 1.0]}))
    metrics = default_metrics()  # what build_predictor uses: the process registry kserve serves
    cache = PredictionCache(closed_redis_url(), ttl_seconds=60, metrics=metrics, service="predictor")
    loader = StaticLoader(evaluation=EVALUATION, promoted_at=1_723_788_000.0)
    predictor = SoccerPredictor(loader, FeatureSnapshot(store), cache, metrics, poll_seconds=3600)

    async def traffic() -> None:
        await predictor.watcher.refresh()
        for name, shape, datatype, data in (
            ("match_id", [2], "BYTES", ["m1", "m2"]),
            ("features", [1, 2], "FP32", [0.5, 0.5]),
        ):
            await predictor.predict(InferRequest("soccer-1x2", [InferInput(name, shape, datatype, data=data)]))
        loader.version = "2"  # a champion swap
        await predictor.watcher.refresh()

    asyncio.run(traffic())
    app = FastAPI()
    app.add_api_route("/metrics", metrics_handler, methods=["GET"])  # as kserve's RESTServer mounts it
    with TestClient(app) as client:
        return client.get("/metrics").text


def test_predictor_metrics_pass_promtool(predictor_text: str) -> None:
    check_metrics(predictor_text)


def test_predictor_exposes_its_metrics(predictor_text: str) -> None:
    assert with_samples(predictor_text) >= PREDICTOR
    assert 'soccerpredict_model_info{model="soccer-1x2",service="predictor",version="2"} 1.0' in predictor_text
    assert 'soccerpredict_model_eval_rps{model="champion",test_seasons="2324"} 0.197' in predictor_text
    assert 'soccerpredict_model_calibration_error{model="market",test_seasons="2324"} 0.015' in predictor_text
    assert 'soccerpredict_model_champion_promoted_timestamp_seconds{model="soccer-1x2"} 1.723788e+09' in predictor_text
    assert "request_predict_seconds" in predictor_text  # kserve's own metrics share the registry


# --- worker -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worker_text(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from serving.common.jobs import TASK_PREDICT_MATCHES, make_celery
    from serving.worker import tasks
    from serving.worker.metrics import serve_metrics

    settings = Settings(home=tmp_path_factory.mktemp("worker"), predictor_url=closed_port_url())
    app = make_celery(settings)
    app.conf.task_eager_propagates = False
    for _ in range(3):
        app.send_task(TASK_PREDICT_MATCHES, args=[["m1"]])  # queued in the SQLite broker, never consumed
    tasks.invalidate_cache.apply()  # success (no cache configured)
    tasks.score_batch.apply(args=[[]])  # failure (empty batch)
    tasks.predict_matches.apply(args=[["m1"]])  # retry (the predictor is unreachable)
    served = serve_metrics(app, 0, addr="127.0.0.1", interval=0.1)
    try:
        url = f"http://127.0.0.1:{served.port}/metrics"
        assert eventually(
            lambda: 'soccerpredict_async_queue_depth{queue="ml"} 3.0' in httpx.get(url).text, timeout=15.0
        ), httpx.get(url).text
        yield httpx.get(url).text
    finally:
        served.stop()


def test_worker_metrics_pass_promtool(worker_text: str) -> None:
    check_metrics(worker_text)


def test_worker_exposes_its_metrics(worker_text: str) -> None:
    assert with_samples(worker_text) >= WORKER
    assert 'soccerpredict_async_queue_depth{queue="api"} 0.0' in worker_text
    for state in ("success", "failure", "retry"):
        assert f'state="{state}"' in worker_text, state


def test_a_missing_promtool_fails_and_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"install Debian's prometheus package \(make system-deps\)"):
        check_metrics("")
