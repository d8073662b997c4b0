"""The facade's app factory. Nothing happens on import; :func:`create_app` builds clients without I/O and
the lifespan starts the background loops (published-object refresh, model-version watch) and closes
everything on shutdown.

    uvicorn --factory serving.api.app:create_app_from_env   # or: python -m serving.api
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from prometheus_client import REGISTRY, CollectorRegistry

import soccerpredict
from serving.api.auth import ApiKeyChecker, ApiKeyGate
from serving.api.limits import BodyLimit
from serving.api.metrics import MetricsMiddleware, metrics_router
from serving.api.routers import error_responses, health, monitoring, operation_id, predict
from serving.api.services import Services
from serving.api.services.batching import MissBatcher
from serving.api.services.precomputed import PrecomputedService
from serving.api.validation import validation_error_handler
from serving.common.cache import PredictionCache
from serving.common.v2_client import Predictor, PredictorClient, PredictorTimeoutError
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import PredictorUnavailableError, ServingError, UnknownMatchError
from soccerpredict.monitoring.metrics import build, default_metrics
from soccerpredict.settings import Settings

__all__ = ["create_app", "create_app_from_env"]

log = logging.getLogger(__name__)

#: How long startup waits for the first load of the published objects before serving anyway.
FIRST_LOAD_WAIT_SECONDS = 5.0

_TAGS = [
    {"name": "predict", "description": "Live and precomputed 1X2 predictions, async jobs. Needs X-API-Key."},
    {"name": "monitoring", "description": "Job status, drift, the served model. Needs X-API-Key."},
    {"name": "health", "description": "Probes and Prometheus metrics. Open."},
]


def create_app(
    settings: Settings,
    *,
    predictor: Predictor | None = None,
    store: ObjectStore | None = None,
    celery_app: Any = None,
    registry: CollectorRegistry | None = None,
) -> FastAPI:
    """Build the facade. Pass a predictor, store, Celery app or metrics registry to replace the defaults."""
    metrics = build(registry) if registry is not None else default_metrics()
    services = _services(settings, metrics, predictor=predictor, store=store, celery_app=celery_app)
    app = FastAPI(
        title="SoccerPredict API",
        version=soccerpredict.__version__,
        description="Football 1X2 predictions: live from the champion model, precomputed, or as async jobs.",
        openapi_tags=_TAGS,
        generate_unique_id_function=operation_id,
        lifespan=_lifespan,
    )
    app.state.services = services
    app.state.api_keys = ApiKeyChecker(settings.api_keys)
    if not app.state.api_keys.configured:
        log.warning("no API keys configured (SOCCER_API_KEYS): /predict and /monitoring will answer 401")
    # Outermost last: metrics see every answer; then the key (no body read for a refused request); then the cap.
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(ApiKeyGate, checker=app.state.api_keys)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    _add_error_handlers(app)
    for router in (predict.router, monitoring.router, health.router, metrics_router(registry or REGISTRY)):
        app.include_router(router, responses=error_responses(status.HTTP_413_CONTENT_TOO_LARGE))
    return app


def create_app_from_env() -> FastAPI:
    """The facade configured from ``SOCCER_*`` environment variables (for ``uvicorn --factory``)."""
    return create_app(Settings())


def _services(
    settings: Settings, metrics: Any, *, predictor: Predictor | None, store: ObjectStore | None, celery_app: Any
) -> Services:
    from serving.common.jobs import make_celery, make_publisher

    if celery_app is None:
        celery_app = make_celery(settings)
    # The facade owns the cache of its synchronous predictions: the predictor skips its own for them.
    client = predictor or PredictorClient(
        settings.predictor_url, timeout=settings.predictor_timeout, metrics=metrics, caller_caches=True
    )
    return Services(
        settings=settings,
        metrics=metrics,
        predictor=client,
        misses=MissBatcher(
            client, timeout=settings.predictor_timeout, max_batch=settings.predict_batch_max, metrics=metrics
        ),
        cache=PredictionCache(
            settings.redis_url,
            ttl_seconds=settings.cache_ttl_seconds,
            local_ttl_seconds=settings.cache_local_ttl_seconds,
            metrics=metrics,
            service="api",
        ),
        precomputed=PrecomputedService(store or ObjectStore.from_settings(settings), metrics=metrics),
        celery=celery_app,
        publisher=make_publisher(celery_app),
        owns_predictor=predictor is None,
    )


def _error(code: int) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=code)

    return handler


def _add_error_handlers(app: FastAPI) -> None:
    # Most specific first is not needed: Starlette picks the handler of the nearest class in the MRO.
    app.add_exception_handler(UnknownMatchError, _error(status.HTTP_404_NOT_FOUND))
    app.add_exception_handler(PredictorTimeoutError, _error(status.HTTP_504_GATEWAY_TIMEOUT))
    app.add_exception_handler(PredictorUnavailableError, _error(status.HTTP_503_SERVICE_UNAVAILABLE))
    app.add_exception_handler(ServingError, _error(status.HTTP_503_SERVICE_UNAVAILABLE))
    app.add_exception_handler(RequestValidationError, validation_error_handler)

    async def internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse({"detail": "internal error; see the facade's log"}, status_code=500)

    app.add_exception_handler(Exception, internal)


async def _watch_model(services: Services, interval: float, first_pass: asyncio.Event) -> None:
    # The cache key needs the model version before the predictor is called: learn it at startup and
    # re-read it now and then, so a champion swap is seen even while every request hits the cache.
    while True:
        with contextlib.suppress(ServingError):
            await services.predictor.metadata()
        first_pass.set()
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    services: Services = app.state.services
    settings = services.settings
    version_known = asyncio.Event()
    tasks = [
        asyncio.create_task(services.precomputed.run(settings.precomputed_poll_seconds), name="precomputed-refresh"),
        asyncio.create_task(_watch_model(services, settings.champion_poll_seconds, version_known), name="model-watch"),
    ]
    # Serve once both first reads were tried (or the wait ran out): a request that came before the version was
    # known would miss a cache that holds its answer.
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(services.precomputed.first_pass.wait(), version_known.wait()), FIRST_LOAD_WAIT_SECONDS
        )
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await services.cache.aclose()
        if services.owns_predictor:
            await services.predictor.aclose()
