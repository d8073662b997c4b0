"""``/monitoring``: async job status, drift summary and report, and the model being served. Needs ``X-API-Key``."""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any, Final

from celery import Celery
from celery.result import AsyncResult
from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import HTMLResponse, Response

from serving.api.auth import UNAUTHORIZED_RESPONSE, require_api_key
from serving.api.routers import ServicesDep, error_responses
from serving.api.routers.predict import snapshot_or_503
from serving.api.schemas import DriftSummary, ModelInfo, TaskStatus, TensorSpec

__all__ = ["router"]

log = logging.getLogger(__name__)

NO_DRIFT: Final = "no drift report published yet, run the pipeline (stage monitor_drift)"
_PENDING_STATES: Final = frozenset({"PENDING", "RECEIVED", "STARTED", "RETRY"})
_TASK_ID_PATTERN: Final = r"^[A-Za-z0-9-]{1,64}$"

router = APIRouter(
    tags=["monitoring"],
    dependencies=[Depends(require_api_key)],
    responses=UNAUTHORIZED_RESPONSE,
)


def _task_status(task_id: str, app: Celery) -> TaskStatus:
    # Blocking: it reads the result backend. Called in a worker thread (Celery backends are per thread).
    result = AsyncResult(task_id, app=app)
    state = str(result.state)
    if state == "SUCCESS":
        return TaskStatus(task_id=result.id, status="done", state=state, result=result.result)
    if state in _PENDING_STATES:
        return TaskStatus(task_id=result.id, status="pending", state=state)
    error: Any = result.result
    reason = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else str(error)
    return TaskStatus(task_id=result.id, status="failed", state=state, reason=reason)


@router.get(
    "/monitoring/task_status/{task_id}",
    summary="Status of an async job",
    response_model=TaskStatus,
    responses=error_responses(503, d503="The result backend is unavailable."),
)
async def task_status(
    task_id: Annotated[str, Path(pattern=_TASK_ID_PATTERN, examples=["5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11"])],
    services: ServicesDep,
) -> TaskStatus:
    """pending, done (with the result) or failed (with the reason)."""
    try:
        return await asyncio.to_thread(_task_status, task_id, services.celery)
    except Exception as exc:  # the backend's own error types vary (redis, SQLAlchemy, amqp)
        log.warning("cannot read task %s from the result backend: %s", task_id, exc)
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, detail="the result backend is unavailable; retry later"
        ) from exc


@router.get(
    "/monitoring/drift",
    summary="Latest drift summary",
    response_model=DriftSummary,
    responses=error_responses(503, d503=NO_DRIFT),
)
async def drift(services: ServicesDep) -> DriftSummary:
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
async def drift_report(services: ServicesDep) -> HTMLResponse:
    """The Evidently HTML report, as published."""
    return HTMLResponse(snapshot_or_503(services.precomputed.drift_report, NO_DRIFT).data)


@router.get(
    "/monitoring/model",
    summary="The model being served",
    response_model=ModelInfo,
    responses=error_responses(503, 504),
)
async def model(services: ServicesDep) -> ModelInfo:
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
