"""HTTP metrics of the facade and the ``/metrics`` endpoint.

A plain ASGI middleware (not ``BaseHTTPMiddleware``, which costs a task and a stream per request)
records ``soccerpredict_http_requests_total`` and ``soccerpredict_http_request_duration_seconds`` by route *template*
(``/predict/{match_id}``, not the raw path, so match ids never become label values).
"""

from __future__ import annotations

import time
from typing import Any, Final

from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SERVICE", "UNMATCHED_ROUTE", "MetricsMiddleware", "metrics_router"]

SERVICE: Final = "api"
#: Label for requests no route matched (404s on random paths must not create one series each), including those
#: refused before routing: the 401 of the key gate and the 413 of the body cap.
UNMATCHED_ROUTE: Final = "<unmatched>"


class MetricsMiddleware:
    """Count and time every HTTP request by route template, method and status."""

    def __init__(self, app: ASGIApp, *, metrics: Any) -> None:
        self.app = app
        self._requests = metrics["http_requests_total"]
        self._duration = metrics["http_request_duration_seconds"]
        # Bound children by label values: labels() costs more than the observation itself. Routes are
        # templates and statuses few, so this stays as small as the label sets Prometheus holds anyway.
        self._bound: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # The router writes the matched route into the scope it was given (this one).
            route = scope.get("route")
            template = getattr(route, "path", None) or UNMATCHED_ROUTE
            bound = self._bound.get((template, scope["method"], status))
            if bound is None:
                bound = self._bind(template, scope["method"], status)
            bound[0].inc()
            bound[1].observe(time.perf_counter() - start)

    def _bind(self, template: str, method: str, status: int) -> tuple[Any, Any]:
        bound = (
            self._requests.labels(service=SERVICE, route=template, method=method, status=str(status)),
            self._duration.labels(service=SERVICE, route=template, method=method),
        )
        self._bound[(template, method, status)] = bound
        return bound


def metrics_router(registry: CollectorRegistry) -> APIRouter:
    """``GET /metrics`` in the Prometheus text format, for one registry."""
    router = APIRouter(tags=["health"])

    @router.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses={
            200: {
                "description": "Every metric of soccerpredict.monitoring.metrics, Prometheus text format.",
                "content": {
                    CONTENT_TYPE_LATEST: {
                        "schema": {"type": "string"},
                        "example": "soccerpredict_http_requests_total{…} 3.0",
                    }
                },
            }
        },
    )
    async def get_metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
