"""``/monitoring``: async job status, drift summary, report and history, the model being served and its evaluation.

Needs ``X-API-Key``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Annotated, Any, Final

from celery import Celery
from celery.result import AsyncResult
from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import HTMLResponse, Response

from serving.api.auth import UNAUTHORIZED_RESPONSE, require_api_key
from serving.api.routers import (
    ServicesDep,
    error_responses,
    example_of,
    pattern_error,
    success_response,
    validation_response,
)
from serving.api.routers.predict import snapshot_or_503
from serving.api.schemas import DriftHistory, DriftSummary, ModelEvaluation, ModelInfo, TaskStatus, TensorSpec
from serving.common.jobs import SUBMITTED, VISIBILITY_MARGIN_SECONDS, broker_redelivers

__all__ = ["router"]

log = logging.getLogger(__name__)

NO_DRIFT: Final = "no drift report published yet, run the pipeline (stage monitor_drift)"
NO_DRIFT_HISTORY: Final = "no drift history published yet, run the pipeline (stage monitor_drift appends to it)"
NO_EVALUATION: Final = (
    "no evaluation of the champion published yet, run the pipeline (stage batch_inference publishes it once a "
    "model holds the @champion alias)"
)
#: Celery states by what they tell a client. PENDING is Celery's answer for any id its backend does not hold.
_QUEUED_STATES: Final = frozenset({SUBMITTED, "RECEIVED"})
_RUNNING_STATES: Final = frozenset({"STARTED", "RETRY"})
UNKNOWN_TASK: Final = (
    "unknown task id: never accepted, expired (results are kept 24 h), or lost with the result backend; "
    "submit the job again"
)
_TASK_ID_PATTERN: Final = r"^[A-Za-z0-9-]{1,64}$"

router = APIRouter(
    tags=["monitoring"],
    dependencies=[Depends(require_api_key)],
    responses=UNAUTHORIZED_RESPONSE,
)


def _stalled_since(info: Any, app: Celery, now: float) -> float | None:
    """When a STARTED job started, if that is longer ago than any live worker would still be running it."""
    started = info.get("started_at") if isinstance(info, dict) else None
    limit = app.conf.task_time_limit
    if not isinstance(started, int | float) or not limit:
        return None
    return float(started) if now - started > limit + VISIBILITY_MARGIN_SECONDS else None


def _stalled(task_id: str, started: float, app: Celery) -> TaskStatus:
    since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    if broker_redelivers(str(app.conf.broker_url)):
        # Its worker died; the broker gave (or, Redis/SQS, will give) the job to the next worker.
        return TaskStatus(task_id=task_id, status="queued", state="STARTED")
    reason = (
        f"lost: the worker that started it at {since} stopped before finishing, and the embedded broker "
        "does not give a job back; submit it again"
    )
    return TaskStatus(task_id=task_id, status="failed", state="STARTED", reason=reason)


def _task_status(task_id: str, app: Celery, now: float | None = None) -> TaskStatus:
    """Where a job stands, from the result backend (blocking: call it in a worker thread).

    The facade records every job it accepts before publishing it (state SUBMITTED), so PENDING,
    Celery's word for "not in the backend", is an id never accepted, expired, or lost with a
    restarted backend: ``unknown``, never a job waiting forever. A job STARTED longer ago than its
    hard time limit plus the visibility margin lost its worker: ``queued`` again where the broker
    redelivers, ``failed`` on the embedded broker, which cannot.
    """
    result = AsyncResult(task_id, app=app)
    state = str(result.state)
    if state == "SUCCESS":
        return TaskStatus(task_id=result.id, status="done", state=state, result=result.result)
    if state == "PENDING":
        return TaskStatus(task_id=result.id, status="unknown", state=state, reason=UNKNOWN_TASK)
    if state in _QUEUED_STATES:
        return TaskStatus(task_id=result.id, status="queued", state=state)
    if state == "STARTED" and (started := _stalled_since(result.info, app, time.time() if now is None else now)):
        return _stalled(result.id, started, app)
    if state in _RUNNING_STATES:
        return TaskStatus(task_id=result.id, status="running", state=state)
    error: Any = result.result
    reason = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return TaskStatus(task_id=result.id, status="failed", state=state, reason=reason)


@router.get(
    "/monitoring/task_status/{task_id}",
    summary="Status of an async job",
    response_model=TaskStatus,
    responses={
        **success_response("Where the job stands (here: done, with its result).", example_of(TaskStatus)),
        **error_responses(404, 503, d404=UNKNOWN_TASK, d503="The result backend is unavailable."),
        **validation_response(pattern_error(["path", "task_id"], "not_an_id", _TASK_ID_PATTERN)),
    },
)
async def get_task_status(
    task_id: Annotated[str, Path(pattern=_TASK_ID_PATTERN, examples=["5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11"])],
    services: ServicesDep,
) -> TaskStatus:
    """queued, running, done (with the result) or failed (with the reason); 404 for an unknown or expired id."""
    try:
        answer = await asyncio.to_thread(_task_status, task_id, services.celery)
    except Exception as exc:  # the backend's own error types vary (redis, SQLAlchemy, amqp)
        log.warning("cannot read task %s from the result backend: %s", task_id, exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="the result backend is unavailable; retry later"
        ) from exc
    if answer.status == "unknown":
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=UNKNOWN_TASK)
    return answer


@router.get(
    "/monitoring/drift",
    summary="Latest drift summary",
    response_model=DriftSummary,
    responses={
        **success_response("The drift summary, as published.", example_of(DriftSummary)),
        **error_responses(503, d503=NO_DRIFT),
    },
)
async def get_drift(services: ServicesDep) -> DriftSummary:
    """The Evidently drift summary written by the ``monitor_drift`` stage."""
    data = snapshot_or_503(services.precomputed.drift, NO_DRIFT).data
    return DriftSummary.model_validate(data if isinstance(data, dict) else {"summary": data})


@router.get(
    "/monitoring/drift/report",
    summary="Latest drift report (HTML)",
    # Response, not HTMLResponse, as the class: with a text/html route class FastAPI would also
    # document the JSON error bodies as text/html.
    response_class=Response,
    responses={
        200: {
            "description": "The Evidently HTML report.",
            "content": {"text/html": {"schema": {"type": "string"}, "example": "<html>…</html>"}},
        },
        **error_responses(503, d503=NO_DRIFT),
    },
)
async def get_drift_report(services: ServicesDep) -> HTMLResponse:
    """The Evidently HTML report, as published."""
    return HTMLResponse(snapshot_or_503(services.precomputed.drift_report, NO_DRIFT).data)


@router.get(
    "/monitoring/drift/history",
    summary="Drift over time",
    response_model=DriftHistory,
    responses={
        **success_response("One entry per monitor_drift run, oldest first.", example_of(DriftHistory)),
        **error_responses(503, d503=NO_DRIFT_HISTORY),
    },
)
async def get_drift_history(services: ServicesDep) -> DriftHistory:
    """The drifted share of every monitor_drift run (at most a year of them), with its window and feature counts."""
    data: DriftHistory = snapshot_or_503(services.precomputed.drift_history, NO_DRIFT_HISTORY).data
    return data


@router.get(
    "/monitoring/model",
    summary="The model being served",
    response_model=ModelInfo,
    responses={
        **success_response("The served model and its v2 tensors.", example_of(ModelInfo)),
        **error_responses(503, 504),
    },
)
async def get_model(services: ServicesDep) -> ModelInfo:
    """Name, version and alias of the served model, from the predictor's v2 metadata."""
    meta = await services.predictor.metadata()
    return ModelInfo(
        name=meta.name,
        version=meta.version or services.predictor.model_version,
        alias=meta.alias,
        platform=meta.platform,
        inputs=[TensorSpec.model_validate(t) for t in meta.inputs],
        outputs=[TensorSpec.model_validate(t) for t in meta.outputs],
    )


@router.get(
    "/monitoring/model/evaluation",
    summary="The champion's evaluation",
    response_model=ModelEvaluation,
    responses={
        **success_response(
            "The champion's test-split report (model, baselines, market), its card, reliability plot and backtest.",
            example_of(ModelEvaluation),
        ),
        **error_responses(503, d503=NO_EVALUATION),
    },
)
async def get_model_evaluation(services: ServicesDep) -> ModelEvaluation:
    """The champion's scores on the test seasons (RPS, log-loss, Brier, accuracy, ECE) beside each baseline's and the
    closing market's, as the evaluate stage wrote them (``reports/evaluation.json``), with the model card and the
    reliability plot (base64 PNG) when they are small, and its run's walk-forward backtest against the market
    (``reports/backtest.json`` with its plots) when it logged one. Published by batch_inference with the predictions."""
    data: ModelEvaluation = snapshot_or_503(services.precomputed.evaluation, NO_EVALUATION).data
    return data
