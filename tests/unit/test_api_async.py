"""POST /predict/async/ and GET /monitoring/task_status/{id} on the embedded SQLite defaults (no worker needed).

The worker side, over RabbitMQ and Redis, is in tests/service/test_worker_rabbitmq.py and
tests/e2e/test_api_async_flow.py.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from api_doubles import StubPredictor, closed_port_url_as, closed_redis_url
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.api.routers.monitoring import _task_status
from serving.common.jobs import TASK_PREDICT_MATCHES, VISIBILITY_MARGIN_SECONDS, make_celery
from soccerpredict.errors import PredictorUnavailableError
from soccerpredict.settings import Settings

KEY = "unit-test-key"
HEADERS = {"X-API-Key": KEY}
MATCH = "E0-20240817-arsenal-wolves"


def _client(settings: Settings, registry: CollectorRegistry) -> TestClient:
    predictor = StubPredictor({MATCH: (0.5, 0.3, 0.2)})
    return TestClient(create_app(settings, predictor=predictor, registry=registry))


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def embedded(tmp_path: Path, registry: CollectorRegistry) -> Iterator[TestClient]:
    """The facade on the default broker and result backend: SQLite files under SOCCER_HOME."""
    settings = Settings(home=tmp_path / "home", api_keys=[KEY])
    assert settings.broker.startswith("sqla+sqlite:///") and settings.backend.startswith("db+sqlite:///")
    with _client(settings, registry) as client:
        yield client


def test_submit_returns_a_task_id_and_the_job_is_queued(embedded: TestClient, registry: CollectorRegistry) -> None:
    response = embedded.post("/predict/async/", json=[MATCH, "E0-20240817-everton-brighton"], headers=HEADERS)
    assert response.status_code == 202
    task_id = response.json()["task_id"]
    assert response.json()["status_url"] == f"/monitoring/task_status/{task_id}"
    status = embedded.get(f"/monitoring/task_status/{task_id}", headers=HEADERS).json()
    assert (status["status"], status["state"], status["result"]) == ("queued", "SUBMITTED", None)
    submitted = {"task": TASK_PREDICT_MATCHES, "state": "submitted"}
    assert registry.get_sample_value("soccerpredict_async_jobs_total", submitted) == 1


def test_done_and_failed_states_are_reported(embedded: TestClient) -> None:
    backend = embedded.app.state.services.celery.backend  # type: ignore[attr-defined]
    result = {"model_version": "7", "predictions": [{"match_id": MATCH, "p_home": 0.5}], "unknown": []}
    backend.store_result("done-task", result, "SUCCESS")
    backend.store_result("failed-task", PredictorUnavailableError("the predictor is unreachable"), "FAILURE")
    done = embedded.get("/monitoring/task_status/done-task", headers=HEADERS).json()
    assert (done["status"], done["result"]) == ("done", result)
    failed = embedded.get("/monitoring/task_status/failed-task", headers=HEADERS).json()
    assert failed["status"] == "failed"
    assert failed["reason"] == "PredictorUnavailableError: the predictor is unreachable"


def test_an_id_never_accepted_is_404_not_pending(embedded: TestClient) -> None:
    response = embedded.get("/monitoring/task_status/5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11", headers=HEADERS)
    assert response.status_code == 404
    assert response.json()["detail"].startswith("unknown task id: never accepted, expired")


def test_a_job_whose_record_the_result_backend_lost_is_404_not_pending(
    tmp_path: Path, redis_url: str, registry: CollectorRegistry
) -> None:
    # What a restarted Redis without persistence does to the records: they are gone, and so is the answer "queued".
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], result_backend=redis_url)
    with _client(settings, registry) as client:
        task_id = client.post("/predict/async/", json=[MATCH], headers=HEADERS).json()["task_id"]
        assert client.get(f"/monitoring/task_status/{task_id}", headers=HEADERS).json()["status"] == "queued"
        client.app.state.services.celery.backend.forget(task_id)  # type: ignore[attr-defined]
        assert client.get(f"/monitoring/task_status/{task_id}", headers=HEADERS).status_code == 404


def test_a_started_job_is_running(embedded: TestClient) -> None:
    backend = embedded.app.state.services.celery.backend  # type: ignore[attr-defined]
    backend.store_result("started-task", {"pid": 1, "hostname": "w@h", "started_at": time.time()}, "STARTED")
    backend.store_result("retrying-task", PredictorUnavailableError("down"), "RETRY")
    for task_id in ("started-task", "retrying-task"):
        assert embedded.get(f"/monitoring/task_status/{task_id}", headers=HEADERS).json()["status"] == "running"


@pytest.mark.parametrize(
    ("broker_url", "status", "reason"),
    [(None, "failed", "lost: the worker that started it at 2026-01-01T00:00:00Z stopped before finishing"),
     ("amqp://guest:guest@127.0.0.1:5672//", "queued", None)],
    ids=["embedded-broker", "rabbitmq"],
)  # fmt: skip
def test_a_job_started_longer_ago_than_its_limits_lost_its_worker(
    tmp_path: Path, broker_url: str | None, status: str, reason: str | None
) -> None:
    app = make_celery(Settings(home=tmp_path / "home", broker_url=broker_url, task_time_limit=60))
    started = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    app.backend.store_result("stalled-task", {"pid": 1, "hostname": "w@h", "started_at": started}, "STARTED")
    within = _task_status("stalled-task", app, now=started + 60 + VISIBILITY_MARGIN_SECONDS)
    assert (within.status, within.reason) == ("running", None)
    beyond = _task_status("stalled-task", app, now=started + 61 + VISIBILITY_MARGIN_SECONDS)
    assert beyond.status == status
    assert (beyond.reason or "").startswith(reason or "")
    assert (beyond.reason is None) == (reason is None)


@pytest.mark.parametrize(
    "body",
    [[], ["not*an*id"], "E0-20240817-arsenal-wolves", [MATCH] * 1001],
    ids=["empty", "bad-id", "not-a-list", "too-many"],
)
def test_bad_bodies_are_422(embedded: TestClient, body: object) -> None:
    response = embedded.post("/predict/async/", json=body, headers=HEADERS)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_broker_down_is_a_fast_503_and_sync_predictions_still_work(
    tmp_path: Path, redis_url: str, registry: CollectorRegistry
) -> None:
    dead = closed_port_url_as("amqp", userinfo="guest:guest@", path="//")
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], broker_url=dead, result_backend=redis_url)
    with _client(settings, registry) as client:
        response = client.post("/predict/async/", json=[MATCH], headers=HEADERS)
        assert response.status_code == 503
        assert "the task queue is unavailable, the job was not queued" in response.json()["detail"]
        assert client.get(f"/predict/{MATCH}", headers=HEADERS).status_code == 200
    assert (
        registry.get_sample_value("soccerpredict_async_jobs_total", {"task": TASK_PREDICT_MATCHES, "state": "rejected"})
        == 1
    )


def test_result_backend_down_is_503(tmp_path: Path, registry: CollectorRegistry) -> None:
    dead = closed_redis_url()
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], result_backend=dead)
    with _client(settings, registry) as client:
        response = client.get("/monitoring/task_status/5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11", headers=HEADERS)
    assert response.status_code == 503
    assert response.json() == {"detail": "the result backend is unavailable; retry later"}
