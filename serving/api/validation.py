"""The 422 for bad input: FastAPI's error list, bounded and always serialisable.

FastAPI's own handler echoes each error's ``input``: for a list over its length cap that is the whole list,
and for a NaN or Infinity (which Python's JSON parser accepts) it is a float the JSON encoder refuses, so the
answer became a 500. Here containers are never echoed, strings are cut to :data:`MAX_INPUT_CHARS`, non-finite
numbers are written as strings, and at most :data:`MAX_ERRORS` errors are listed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Final

from fastapi import Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

__all__ = ["MAX_ERRORS", "MAX_INPUT_CHARS", "public_errors", "validation_error_handler"]

MAX_ERRORS: Final = 20
MAX_INPUT_CHARS: Final = 100
_SAFE_INT: Final = 2**53  # beyond it a JSON number loses digits in most clients
_OMIT: Final = object()


def _scalar(value: Any) -> Any:
    """A short JSON-safe rendering of one value, or _OMIT for a container (never echoed)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < _SAFE_INT else _cut(str(value))
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return _cut(value)
    if isinstance(value, Mapping | Sequence | set | frozenset) and not isinstance(value, bytes | bytearray):
        return _OMIT
    return _cut(str(value))


def _cut(text: str, limit: int = MAX_INPUT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _public_error(error: Mapping[str, Any]) -> dict[str, Any]:
    public: dict[str, Any] = {
        "type": str(error.get("type", "")),
        "loc": [part if isinstance(part, str | int) else str(part) for part in error.get("loc", ())],
        "msg": _cut(str(error.get("msg", "")), 4 * MAX_INPUT_CHARS),
    }
    if "input" in error and (shown := _scalar(error["input"])) is not _OMIT:
        public["input"] = shown
    ctx = error.get("ctx")
    if isinstance(ctx, Mapping) and ctx:
        shown_ctx = {str(k): _scalar(v) for k, v in ctx.items()}
        public["ctx"] = {k: v for k, v in shown_ctx.items() if v is not _OMIT}
    return public


def public_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The errors a client sees: the first MAX_ERRORS, each with a short input, then a count of the rest (pure)."""
    shown = [_public_error(error) for error in errors[:MAX_ERRORS]]
    if len(errors) > MAX_ERRORS:
        left = len(errors) - MAX_ERRORS
        shown.append({"type": "too_many_errors", "loc": [], "msg": f"{left} more errors not shown"})
    return shown


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI exception handler for RequestValidationError: the 422 with :func:`public_errors`."""
    errors = exc.errors() if isinstance(exc, RequestValidationError) else []
    return JSONResponse({"detail": public_errors(errors)}, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
