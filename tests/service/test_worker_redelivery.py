"""A worker killed (SIGKILL) mid-job: over RabbitMQ another worker runs the job; the embedded broker loses it,
and its status says so once no live worker could still be running it.

Workers are real `celery -A serving.worker worker` processes, started as users start them. The predictor
double holds every inference until the test releases it, so "mid-job" is a fact the test sees (the double
got the call, the result backend says STARTED), not a guess about timing. The RabbitMQ test runs in a vhost
of its own, created and deleted here, and every run uses its own queue prefix.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from api_doubles import FakeV2Predictor
from celery import Celery
from fastapi.responses import JSONResponse
from sqlalchemy import create_engine, text

from serving.api.routers.monitoring import _task_status
from serving.common.jobs import TASK_PREDICT_MATCHES, make_celery, record_submitted, visibility_timeout
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

REPO = Path(__file__).resolve().parents[2]
MATCH = "R1-20240817-home-away"
KNOWN = {MATCH: (0.5, 0.3, 0.2)}
EXPECTED = {
    "model_version": "31",
    "predictions": [{"match_id": MATCH, "p_home": 0.5, "p_draw": 0.3, "p_away": 0.2}],
    "unknown": [],
}
WAIT = 60.0


class HeldPredictor(FakeV2Predictor):
    """A v2 predictor double whose inferences wait until :meth:`release` (``infer_calls`` counts arrivals)."""

    def __init__(self, known: dict[str, tuple[float, float, float]], *, version: str) -> None:
        super().__init__(known, version=version)
        self.released = False

    def release(self) -> None:
        self.released = True

    async def _infer(self, body: dict[str, Any]) -> JSONResponse:
        self.infer_calls += 1
        while not self.released:
            await asyncio.sleep(0.02)
        self.infer_calls -= 1  # the parent counts the call again
        return await super()._infer(body)


def _wait(what: str | Callable[[], str], check: Callable[[], Any], timeout: float = WAIT) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {what() if callable(what) else what}")
        time.sleep(0.05)
    return result


class Worker:
    """One `celery worker` process on this run's queues, its output in ``log``."""

    def __init__(self, settings: Settings, prefix: str, name: str, log: Path) -> None:
        self.hostname = f"{prefix}{name}@localhost"
        self.log = log
        env = {
            **os.environ,
            "SOCCER_HOME": str(settings.home),
            "SOCCER_BROKER_URL": settings.broker,
            "SOCCER_RESULT_BACKEND": settings.backend,
            "SOCCER_PREDICTOR_URL": settings.predictor_url,
            "SOCCER_PREDICTOR_TIMEOUT": "120",  # the held inference must not time out
            "SOCCER_WORKER_METRICS_PORT": "0",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "serving.worker", "worker", "-Q", f"{prefix}ml,{prefix}api",
            "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat",
            "-n", self.hostname, "-l", "INFO",
        ]  # fmt: skip
        with log.open("wb") as out:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait(lambda: f"worker {name} ready:\n{self.output}", self._ready)
        except BaseException:
            self.kill()
            raise

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.output}")
        return " ready." in self.output

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, app: Celery) -> None:
        if self.process.poll() is None:
            app.control.shutdown(destination=[self.hostname])
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _submit(app: Celery) -> str:
    # As the facade does: record the id, then publish.
    task_id = str(uuid.uuid4())
    record_submitted(app, task_id)
    app.send_task(TASK_PREDICT_MATCHES, args=[[MATCH]], task_id=task_id)
    return task_id


def _state(app: Celery, task_id: str) -> str:
    return str(app.AsyncResult(task_id).state)


@pytest.fixture
def held() -> Iterator[HeldPredictor]:
    with HeldPredictor(KNOWN, version="31") as server:
        yield server
        server.release()


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=60)


@pytest.fixture
def vhost_url(amqp_url: str) -> Iterator[str]:
    """``amqp_url`` on a new vhost of its own (deleted afterwards), so no other run consumes its jobs."""
    vhost = f"soccer-test-{uuid.uuid4().hex[:8]}"
    user = urlsplit(amqp_url).username or "guest"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield urlsplit(amqp_url)._replace(path=f"/{vhost}").geturl()
    finally:
        _rabbitmqctl("delete_vhost", vhost)


def _kill_mid_job(app: Celery, held: HeldPredictor, first: Worker, task_id: str) -> None:
    _wait("the predictor got the job's call", lambda: held.infer_calls >= 1)
    _wait("the job is STARTED", lambda: _state(app, task_id) == "STARTED")
    first.kill()


def test_rabbitmq_gives_the_job_of_a_killed_worker_to_the_next_one(
    held: HeldPredictor, vhost_url: str, redis_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / "home", broker_url=vhost_url, result_backend=redis_url, predictor_url=held.url)
    prefix = f"redeliver-{uuid.uuid4().hex[:8]}-"
    app = make_celery(settings, queue_prefix=prefix)
    first = Worker(settings, prefix, "first", tmp_path / "first.log")
    second: Worker | None = None
    try:
        task_id = _submit(app)
        _kill_mid_job(app, held, first, task_id)
        held.release()
        second = Worker(settings, prefix, "second", tmp_path / "second.log")
        assert app.AsyncResult(task_id).get(timeout=WAIT) == EXPECTED, second.output
        assert _task_status(task_id, app).status == "done"
        assert task_id in second.output  # the second worker ran it: the first one died before it finished
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop(app)


def test_the_embedded_broker_does_not_give_back_the_job_of_a_killed_worker(held: HeldPredictor, tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", predictor_url=held.url)
    assert settings.broker.startswith("sqla+sqlite:///")
    prefix = f"embedded-{uuid.uuid4().hex[:8]}-"
    app = make_celery(settings, queue_prefix=prefix)
    first = Worker(settings, prefix, "first", tmp_path / "first.log")
    second: Worker | None = None
    try:
        lost = _submit(app)
        _kill_mid_job(app, held, first, lost)
        held.release()
        second = Worker(settings, prefix, "second", tmp_path / "second.log")
        # A job published after the kill runs; the queue is FIFO, so the first one would have run before it.
        later = _submit(app)
        assert app.AsyncResult(later).get(timeout=WAIT) == EXPECTED, second.output
        assert lost not in second.output
        assert _state(app, lost) == "STARTED"
        # Why: kombu's SQLAlchemy transport marks a fetched message invisible and nothing ever makes it visible
        # again (no visibility timeout); only a worker's clean shutdown restores its unacked messages.
        broker = create_engine(settings.broker.removeprefix("sqla+"))
        with broker.connect() as conn:
            rows = conn.execute(text("SELECT visible FROM kombu_message")).all()
        broker.dispose()
        assert sorted(bool(r.visible) for r in rows) == [False, False]  # both fetched, neither to be delivered again
        # Its status tells: running while a live worker could still be at it, then failed, with the reason.
        assert _task_status(lost, app).status == "running"
        beyond_limits = app.AsyncResult(lost).info["started_at"] + visibility_timeout(settings) + 1
        status = _task_status(lost, app, now=beyond_limits)
        assert status.status == "failed"
        assert status.reason is not None and status.reason.startswith("lost: the worker that started it at")
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop(app)
