"""The facade's routes: ``/predict``, ``/monitoring`` and ``/health`` (``/metrics`` is in :mod:`serving.api.metrics`).

Routers declare full paths and no prefix: the metrics middleware labels requests with
``scope["route"].path``, which FastAPI sets to the path *as declared in the router*.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final

from fastapi import Depends, Request, status
from fastapi.routing import APIRoute
from pydantic import BaseModel

from serving.api.limits import TOO_LARGE_RESPONSE
from serving.api.schemas import ErrorResponse, ValidationErrorResponse
from serving.api.services import Services

__all__ = [
    "ServicesDep",
    "error_responses",
    "example_of",
    "get_services",
    "operation_id",
    "pattern_error",
    "success_response",
    "validation_response",
]

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

_SNAKE_CASE: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def operation_id(route: APIRoute) -> str:
    """The OpenAPI ``operationId`` of a route: its name (the route function's, unless ``name=`` says otherwise).

    FastAPI's default glues the name to the path and method (``predict_predict__match_id__get``), which generated
    clients turn into method names; the function names here are verbs a client reads (``predict_match``,
    ``list_cards``). A name that is not snake_case is refused when the app is built; uniqueness is checked by
    tests/contract/test_openapi.py (FastAPI only warns on a duplicate).
    """
    if not _SNAKE_CASE.match(route.name):
        raise ValueError(f"route {route.path!r}: name {route.name!r} is not snake_case; it becomes the operationId")
    return route.name


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


def example_of(model: type[BaseModel], index: int = 0) -> Any:
    """One of the examples a schema model declares (``json_schema_extra``): the one home of each example."""
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    if not isinstance(examples, list) or len(examples) <= index:
        raise ValueError(f"{model.__name__} declares no example {index}")
    return examples[index]


def success_response(description: str, example: Any, code: int = status.HTTP_200_OK) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entry of a route's success: its description and a JSON example of the body.

    The schema still comes from the route's ``response_model``; tests/contract/test_openapi.py validates the
    example against it.
    """
    return {code: {"description": description, "content": {"application/json": {"example": example}}}}


def pattern_error(loc: list[str | int], value: str, pattern: str) -> dict[str, Any]:
    """The validation error of a string that does not match its pattern, as the 422 lists it (for examples)."""
    return {
        "type": "string_pattern_mismatch",
        "loc": loc,
        "msg": f"String should match pattern '{pattern}'",
        "input": value,
        "ctx": {"pattern": pattern},
    }


def validation_response(*errors: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entry of the 422 of a route with parameters or a body; ``errors`` make its example.

    It replaces FastAPI's generic one: the facade's handler (serving/api/validation.py) bounds what it echoes.
    """
    return {
        status.HTTP_422_UNPROCESSABLE_CONTENT: {
            "model": ValidationErrorResponse,
            "description": "A parameter or the body is invalid; `detail` says which and why.",
            "content": {"application/json": {"example": {"detail": list(errors)}}},
        }
    }


async def get_services(request: Request) -> Services:
    """FastAPI dependency: the services of the app serving this request."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
