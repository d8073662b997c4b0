"""Celery tasks. Registered with ``shared_task`` so they bind to whichever app :func:`make_celery` built.

- ``predict_matches`` (queue ``ml``): probabilities for a list of match ids, from the predictor.
- ``score_batch`` (queue ``ml``): probabilities for raw feature rows (``features`` FP32 input).
- ``invalidate_cache`` (queue ``api``): delete cached predictions by match id and/or model version.

Results are JSON (the app accepts nothing else). A predictor that is down or slow is retried a
couple of times; unknown match ids are not an error of the job but are listed in its result.
A job also stops itself at its soft time limit between two predictor calls: the solo pool the
worker runs with locally enforces neither time limit (prefork enforces both). Jobs on ``ml`` record
when they started (``started_at`` in their STARTED state), so a status read can tell a job whose
worker died from one still running.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from typing import Any, Final

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_failure, task_retry, task_success

from serving.common.cache import delete_cached
from serving.common.jobs import TASK_INVALIDATE_CACHE, TASK_PREDICT_MATCHES, TASK_SCORE_BATCH
from serving.common.v2_client import InferResult, SyncPredictorClient
from soccerpredict.artifacts import PROBABILITY_COLUMNS
from soccerpredict.errors import PredictorUnavailableError, ServingError, UnknownMatchError

__all__ = ["invalidate_cache", "predict_matches", "score_batch"]

log = logging.getLogger(__name__)

MAX_RETRIES: Final = 2
RETRY_SECONDS: Final = 1.0
#: Upper bound on one job, so a single request cannot occupy a worker for long.
MAX_ITEMS: Final = 10_000


def _client(task: Task) -> SyncPredictorClient:
    conf = task.app.conf
    return SyncPredictorClient(conf.soccer_predictor_url, timeout=float(conf.soccer_predictor_timeout))


def _check_size(items: Sequence[Any]) -> None:
    if not items:
        raise ValueError("nothing to predict: the list is empty")
    if len(items) > MAX_ITEMS:
        raise ValueError(f"{len(items)} items in one job; split it into jobs of at most {MAX_ITEMS}")


def _rows(match_ids: Sequence[str], result: InferResult) -> list[dict[str, Any]]:
    return [
        {"match_id": match_id, **dict(zip(PROBABILITY_COLUMNS, probs, strict=True))}
        for match_id, probs in zip(match_ids, result.probabilities, strict=True)
    ]


def _mark_started(task: Task) -> None:
    # Celery's own STARTED holds pid and hostname; the start time lets a reader see the job outlive its limits.
    if task.request.id and not task.request.is_eager:
        meta = {"pid": os.getpid(), "hostname": task.request.hostname, "started_at": time.time()}
        task.update_state(state="STARTED", meta=meta)


def _deadline(task: Task) -> float:
    """When (``time.monotonic()``) this run of ``task`` must stop: its soft time limit from now."""
    limit = task.request.timelimit[1] if task.request.timelimit else None
    limit = limit or task.soft_time_limit or task.app.conf.task_soft_time_limit
    return time.monotonic() + float(limit) if limit else float("inf")


def _predict_known(
    client: SyncPredictorClient, match_ids: Sequence[str], refused: UnknownMatchError, deadline: float
) -> tuple[list[dict[str, Any]], list[str]]:
    """Rows for the ids the predictor did not name as unknown in ``refused``: one more call, not one per id."""
    named = set(refused.match_ids)
    known = [m for m in match_ids if m not in named]
    if not named:  # a predictor that does not name them: find the good ones one by one
        return _predict_each(client, match_ids, deadline)
    unknown = list(dict.fromkeys(m for m in match_ids if m in named))
    if not known:
        return [], unknown
    try:
        return _rows(known, client.infer(known)), unknown
    except UnknownMatchError:  # the snapshot changed between the two calls
        rows, more = _predict_each(client, known, deadline)
        return rows, unknown + more


def _predict_each(
    client: SyncPredictorClient, match_ids: Sequence[str], deadline: float = float("inf")
) -> tuple[list[dict[str, Any]], list[str]]:
    # The v2 predictor rejects a whole batch for one unknown id: find the good ones one by one.
    rows: list[dict[str, Any]] = []
    unknown: list[str] = []
    for done, match_id in enumerate(match_ids):
        if time.monotonic() > deadline:
            raise SoftTimeLimitExceeded(f"soft time limit reached after {done} of {len(match_ids)} match ids")
        try:
            rows += _rows([match_id], client.infer([match_id]))
        except UnknownMatchError:
            unknown.append(match_id)
    return rows, unknown


@shared_task(name=TASK_PREDICT_MATCHES, bind=True, max_retries=MAX_RETRIES)
def predict_matches(self: Task, match_ids: list[str]) -> dict[str, Any]:
    """Probabilities (p_home, p_draw, p_away) per match id; ids without features go to ``unknown``."""
    ids = [str(m) for m in match_ids]
    _check_size(ids)
    _mark_started(self)
    deadline = _deadline(self)
    unknown: list[str] = []
    try:
        with _client(self) as client:
            try:
                rows = _rows(ids, client.infer(ids))
            except UnknownMatchError as exc:
                rows, unknown = _predict_known(client, ids, exc, deadline)
            version = client.last_version  # None when no id was known
    except PredictorUnavailableError as exc:
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc
    return {"model_version": version, "predictions": rows, "unknown": unknown}


@shared_task(name=TASK_SCORE_BATCH, bind=True, max_retries=MAX_RETRIES)
def score_batch(self: Task, rows: list[list[float]]) -> dict[str, Any]:
    """Probabilities for feature rows in the order published in the model metadata."""
    _check_size(rows)
    _mark_started(self)
    try:
        with _client(self) as client:
            result = client.infer_features(rows)
    except UnknownMatchError as exc:  # a 400 here means the rows themselves were rejected
        raise ServingError(f"the predictor rejected the feature rows: {exc}") from exc
    except PredictorUnavailableError as exc:
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc
    return {"model_version": result.model_version, "probabilities": [list(p) for p in result.probabilities]}


@shared_task(name=TASK_INVALIDATE_CACHE, bind=True)
def invalidate_cache(
    self: Task, match_ids: list[str] | None = None, model_version: str | None = None
) -> dict[str, Any]:
    """Delete cached predictions of these matches and/or this model version (neither: all of them)."""
    url = self.app.conf.soccer_redis_url
    if not url:
        return {"deleted": 0, "detail": "no cache configured (SOCCER_REDIS_URL is unset)"}
    deleted = delete_cached(url, match_ids, model_version)
    log.info("invalidated %d cached predictions (matches=%s, version=%s)", deleted, match_ids, model_version)
    return {"deleted": deleted}


def _count(task_name: str | None, state: str) -> None:
    if task_name:
        from soccerpredict.monitoring.metrics import default_metrics

        default_metrics()["async_jobs_total"].labels(task=task_name, state=state).inc()


@task_success.connect
def _on_success(sender: Task | None = None, **_: Any) -> None:
    _count(getattr(sender, "name", None), "success")


@task_failure.connect
def _on_failure(sender: Task | None = None, **_: Any) -> None:
    _count(getattr(sender, "name", None), "failure")


@task_retry.connect
def _on_retry(sender: Any = None, request: Any = None, **_: Any) -> None:
    _count(getattr(request, "task", None), "retry")
