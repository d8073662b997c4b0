"""The facade's routes: ``/predict``, ``/monitoring`` and ``/health`` (``/metrics`` is in :mod:`serving.api.metrics`).

Routers declare full paths and no prefix: the metrics middleware labels requests with
``scope["route"].path``, which FastAPI sets to the path *as declared in the router*.
"""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import Depends, Request, status

from serving.api.limits import TOO_LARGE_RESPONSE
from serving.api.schemas import ErrorResponse
from serving.api.services import Services

__all__ = ["ServicesDep", "error_responses", "get_services"]

_DESCRIPTIONS: Final = {
    status.HTTP_400_BAD_REQUEST: (
        "The body could not be read as JSON text (it is not UTF-8).",
        "There was an error parsing the body",
    ),
    status.HTTP_413_CONTENT_TOO_LARGE: TOO_LARGE_RESPONSE,
    status.HTTP_404_NOT_FOUND: ("Unknown match id.", "unknown match id 'E0-20240817-foo-bar'"),
    status.HTTP_503_SERVICE_UNAVAILABLE: (
        "A dependency is down (predictor, task queue) or nothing is published yet.",
        "the predictor is unreachable (ConnectError); is it running?",
    ),
    status.HTTP_504_GATEWAY_TIMEOUT: (
        "The predictor did not answer in time.",
        "the predictor did not answer within 2 s",
    ),
}


def error_responses(*codes: int, **details: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for error codes, all with the :class:`ErrorResponse` body.

    ``details`` replaces the description and example of a code, e.g. ``error_responses(503, d503="…")``.
    """
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        description, example = _DESCRIPTIONS[code]
        if f"d{code}" in details:
            description = example = details[f"d{code}"]
        responses[code] = {
            "model": ErrorResponse,
            "description": description,
            "content": {"application/json": {"example": {"detail": example}}},
        }
    return responses


async def get_services(request: Request) -> Services:
    """FastAPI dependency: the services of the app serving this request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
