"""``/health``: liveness (the process answers) and readiness (the predictor answers). No API key: probes call it."""

from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from serving.api.routers import ServicesDep, example_of, success_response
from serving.api.schemas import Liveness, Readiness

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get(
    "/health/live",
    summary="Liveness probe",
    response_model=Liveness,
    responses=success_response("The process answers.", example_of(Liveness)),
)
async def live() -> Liveness:
    """Always alive while the event loop runs."""
    return Liveness()


@router.get(
    "/health/ready",
    summary="Readiness probe",
    response_model=Readiness,
    responses={
        **success_response("The predictor is ready; the other checks are informational.", example_of(Readiness)),
        503: {
            "model": Readiness,
            "description": "A required dependency (the predictor) is not ready.",
            "content": {"application/json": {"example": example_of(Readiness, 1)}},
        },
    },
)
async def ready(services: ServicesDep) -> Readiness | JSONResponse:
    """Ready when the predictor reports its model ready; cache and precomputed state are informational.

    Redis and the published predictions are optional (predictions work without them), so they are
    reported but do not fail the probe: a Redis outage must not take every facade pod out of service.
    """
    predictor = await services.predictor.ready()
    checks = {
        "predictor": predictor,
        "cache": await services.cache.ping(),
        "precomputed": "loaded" if services.precomputed.predictions.current is not None else "missing",
    }
    if predictor == "ok":
        return Readiness(status="ready", detail="ok", checks=checks)
    report = Readiness(status="not ready", detail=f"predictor: {predictor}", checks=checks)
    return JSONResponse(report.model_dump(), status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
