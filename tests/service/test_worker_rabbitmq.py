"""The Celery tasks in a real worker (in-process thread) over the real RabbitMQ, results in the real Redis.

Queues get a per-run prefix so concurrent test runs on the same broker never take each other's jobs;
they are deleted at the end.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from api_doubles import FakeV2Predictor, closed_port_url
from celery import Celery
from celery.contrib.testing.worker import start_worker
from logging_state import logging_restored
from prometheus_client import REGISTRY

from serving.common.jobs import TASK_INVALIDATE_CACHE, TASK_PREDICT_MATCHES, TASK_SCORE_BATCH, make_celery
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

KNOWN = {"T1-20240817-home-away": (0.5, 0.3, 0.2), "T1-20240818-other-side": (0.2, 0.3, 0.5)}
TIMEOUT = 30


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeV2Predictor]:
    with FakeV2Predictor(KNOWN, version="11") as server:
        yield server


@pytest.fixture(scope="module")
def app(
    fake: FakeV2Predictor, amqp_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Celery]:
    home: Path = tmp_path_factory.mktemp("worker-home")
    settings = Settings(
        home=home, broker_url=amqp_url, result_backend=redis_url, predictor_url=fake.url, redis_url=redis_url
    )
    prefix = f"test-{uuid.uuid4().hex[:8]}-"
    celery_app = make_celery(settings, queue_prefix=prefix)
    queues = [f"{prefix}ml", f"{prefix}api"]
    try:
        # The worker set-up applies the service logging config to this process: put it back for later tests.
        with (
            logging_restored(),
            start_worker(celery_app, pool="solo", perform_ping_check=False, queues=queues, shutdown_timeout=20) as w,
        ):
            yield celery_app
            # Wake the worker now: left alone, its event loop sleeps up to 10 s on a timer before it sees the stop.
            celery_app.control.shutdown(destination=[w.hostname])
    finally:
        with celery_app.connection() as conn:
            for queue in queues:
                conn.default_channel.queue_delete(queue)


def _run(app: Celery, name: str, *args: Any, **kwargs: Any) -> Any:
    return app.send_task(name, args=args, kwargs=kwargs).get(timeout=TIMEOUT)


def _successes() -> float:
    return (
        REGISTRY.get_sample_value("soccerpredict_async_jobs_total", {"task": TASK_PREDICT_MATCHES, "state": "success"})
        or 0.0
    )


def test_predict_matches_returns_probabilities(app: Celery) -> None:
    before = _successes()
    result = _run(app, TASK_PREDICT_MATCHES, list(KNOWN))
    assert result == {
        "model_version": "11",
        "predictions": [
            {"match_id": "T1-20240817-home-away", "p_home": 0.5, "p_draw": 0.3, "p_away": 0.2},
            {"match_id": "T1-20240818-other-side", "p_home": 0.2, "p_draw": 0.3, "p_away": 0.5},
        ],
        "unknown": [],
    }
    # task_success fires after the result is stored: poll for it, with room for a busy machine.
    deadline = time.monotonic() + TIMEOUT
    while _successes() < before + 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _successes() == before + 1


def test_unknown_match_ids_are_listed_not_fatal(app: Celery) -> None:
    result = _run(app, TASK_PREDICT_MATCHES, ["T1-20240817-home-away", "T1-20990101-no-body"])
    assert [p["match_id"] for p in result["predictions"]] == ["T1-20240817-home-away"]
    assert result["unknown"] == ["T1-20990101-no-body"]


def test_score_batch_scores_feature_rows(app: Celery) -> None:
    result = _run(app, TASK_SCORE_BATCH, [[2.0, 1.0, 1.0], [1.0, 1.0, 2.0]])
    assert result == {"model_version": "11", "probabilities": [[0.5, 0.25, 0.25], [0.25, 0.25, 0.5]]}


def test_invalidate_cache_by_match_and_by_version(app: Celery, redis_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    match, other, v1, v2 = f"T1-{tag}-a", f"T1-{tag}-b", f"v1-{tag}", f"v2-{tag}"
    db = redis.Redis.from_url(redis_url)
    keys = [f"predict:{match}:{v1}", f"predict:{match}:{v2}", f"predict:{other}:{v1}", f"predict:{other}:{v2}"]
    db.mset(dict.fromkeys(keys, "[0.1, 0.2, 0.7]"))
    try:
        assert _run(app, TASK_INVALIDATE_CACHE, match_ids=[match]) == {"deleted": 2}
        assert _run(app, TASK_INVALIDATE_CACHE, model_version=v1) == {"deleted": 1}
        assert db.exists(*keys) == 1  # only predict:{other}:{v2} is left
    finally:
        db.delete(*keys)
        db.close()


def test_a_dead_predictor_fails_the_job_after_retries(app: Celery) -> None:
    url, app.conf.soccer_predictor_url = app.conf.soccer_predictor_url, closed_port_url()
    try:
        result = app.send_task(TASK_PREDICT_MATCHES, args=[["T1-20240817-home-away"]])
        result.get(timeout=TIMEOUT, propagate=False)
        assert result.state == "FAILURE"
        assert "unreachable" in str(result.result)
    finally:
        app.conf.soccer_predictor_url = url
