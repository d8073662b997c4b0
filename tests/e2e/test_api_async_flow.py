"""Async predictions end to end: facade -> RabbitMQ -> a real `celery -A serving.worker worker` process -> predictor,
results through Redis, read back with GET /monitoring/task_status/{task_id}.

The worker is started as users start it (command line, SOCCER_* environment); the predictor is the
v2 test double from tests/api_doubles.py. Queues carry a per-run prefix and are deleted afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_doubles import FakeV2Predictor
from celery import Celery
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.common.jobs import make_celery
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

REPO = Path(__file__).resolve().parents[2]
KEY = "e2e-key"
HEADERS = {"X-API-Key": KEY}
KNOWN = {"E2-20240817-home-away": (0.45, 0.3, 0.25), "E2-20240818-other-side": (0.3, 0.3, 0.4)}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeV2Predictor]:
    with FakeV2Predictor(KNOWN, version="21") as server:
        yield server


@pytest.fixture(scope="module")
def settings(
    fake: FakeV2Predictor, amqp_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Settings:
    home = tmp_path_factory.mktemp("e2e-home")
    return Settings(
        home=home,
        api_keys=[KEY],
        broker_url=amqp_url,
        result_backend=redis_url,
        redis_url=redis_url,
        predictor_url=fake.url,
        store_uri=(home / "store").as_uri(),
    )


def _wait_for_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited with {process.returncode}:\n{log.read_text()}")
        if " ready." in log.read_text():
            return
        time.sleep(0.1)
    raise RuntimeError(f"worker not ready after {timeout} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes], app: Celery, hostname: str) -> None:
    # A remote shutdown wakes the worker at once; SIGTERM alone can wait ~10 s on the worker's timer.
    app.control.shutdown(destination=[hostname])
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def worker(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A worker process consuming this run's queues; yields the queue prefix."""
    prefix = f"e2e-{uuid.uuid4().hex[:8]}-"
    hostname = f"{prefix}w@localhost"
    log = tmp_path_factory.mktemp("e2e-worker") / "worker.log"
    env = {
        **os.environ,
        "SOCCER_HOME": str(settings.home),
        "SOCCER_BROKER_URL": settings.broker,
        "SOCCER_RESULT_BACKEND": settings.backend,
        "SOCCER_REDIS_URL": settings.redis_url or "",
        "SOCCER_PREDICTOR_URL": settings.predictor_url,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "serving.worker", "worker", "-Q", f"{prefix}ml,{prefix}api",
        "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
        "-n", hostname, "-l", "INFO",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_for_ready(process, log)
        yield prefix
    finally:
        _stop(process, make_celery(settings), hostname)
        with make_celery(settings).connection() as conn:
            for queue in (f"{prefix}ml", f"{prefix}api"):
                conn.default_channel.queue_delete(queue)


@pytest.fixture
def client(settings: Settings, worker: str) -> Iterator[TestClient]:
    app = create_app(settings, celery_app=make_celery(settings, queue_prefix=worker), registry=CollectorRegistry())
    with TestClient(app) as client:
        yield client


def _wait_for_task(client: TestClient, task_id: str, timeout: float = 40.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(f"/monitoring/task_status/{task_id}", headers=HEADERS)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if body["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def test_async_predictions_round_trip(client: TestClient) -> None:
    ids = [*KNOWN, "E2-20990101-no-body"]
    accepted = client.post("/predict/async/", json=ids, headers=HEADERS)
    assert accepted.status_code == 202
    # The sync path is independent of the queue.
    assert client.get("/predict/E2-20240817-home-away", headers=HEADERS).json()["p_home"] == 0.45
    status = _wait_for_task(client, accepted.json()["task_id"])
    assert status["status"] == "done", status
    assert status["result"]["model_version"] == "21"
    assert {p["match_id"]: (p["p_home"], p["p_draw"], p["p_away"]) for p in status["result"]["predictions"]} == KNOWN
    assert status["result"]["unknown"] == ["E2-20990101-no-body"]


def test_a_failing_job_reports_its_reason(client: TestClient, fake: FakeV2Predictor) -> None:
    fake.fail_status = 503  # the predictor is up but cannot serve: the worker retries, then gives up
    try:
        accepted = client.post("/predict/async/", json=["E2-20240817-home-away"], headers=HEADERS)
        assert accepted.status_code == 202
        status = _wait_for_task(client, accepted.json()["task_id"])
    finally:
        fake.fail_status = None
    assert status["status"] == "failed", status
    assert status["reason"].startswith("PredictorUnavailableError: the predictor failed with HTTP 503")
