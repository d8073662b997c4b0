"""Client errors are one log line, not a traceback.

kserve's REST handlers and its gRPC interceptor log every InvalidInput (400), ModelNotFound (404) and
ModelNotReady (503) at ERROR with the full traceback: about 7 KB per unknown match id. These handlers answer
the same status and body and log one line (INFO for a client's mistake, WARNING while the model is not
ready); server errors keep kserve's ERROR with the traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from grpc import ServicerContext, StatusCode
from kserve.errors import InvalidInput, ModelNotFound, ModelNotReady
from kserve.protocol.grpc.interceptors import ExceptionToStatusInterceptor

from serving.common.v2_client import UNKNOWN_MATCH_IDS

__all__ = ["QuietClientErrors", "UnknownMatchIds", "install_error_handlers"]

log = logging.getLogger(__name__)


class UnknownMatchIds(InvalidInput):
    """A 400 for match ids without features, naming every one of them in the body's ``unknown_match_ids``."""

    def __init__(self, reason: str, match_ids: Sequence[str]) -> None:
        super().__init__(reason)
        self.match_ids = list(match_ids)


_REST = (
    (InvalidInput, HTTPStatus.BAD_REQUEST, logging.INFO),
    (ModelNotFound, HTTPStatus.NOT_FOUND, logging.INFO),
    (ModelNotReady, HTTPStatus.SERVICE_UNAVAILABLE, logging.WARNING),
)


def _handler(status: HTTPStatus, level: int) -> Any:
    async def handle(request: Request, exc: Exception) -> JSONResponse:
        log.log(level, "%d %s %s: %s", status, request.method, request.url.path, _one_line(exc))
        content: dict[str, Any] = {"error": str(exc)}
        if isinstance(exc, UnknownMatchIds):
            content[UNKNOWN_MATCH_IDS] = exc.match_ids  # so a caller can ask again for the others in one call
        return JSONResponse(status_code=status, content=content)

    return handle


def install_error_handlers(app: FastAPI) -> None:
    """Replace kserve's handlers of the client errors on ``app`` (call after kserve added its own)."""
    for error, status, level in _REST:
        app.add_exception_handler(error, _handler(status, level))


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 300 else text[:297] + "..."


class QuietClientErrors(ExceptionToStatusInterceptor):
    """kserve's gRPC exception-to-status interceptor, logging client errors in one line."""

    async def handle_exception(
        self, ex: Exception, request_or_iterator: Any, context: ServicerContext, method_name: str
    ) -> None:
        if isinstance(ex, InvalidInput):
            log.info("INVALID_ARGUMENT %s: %s", method_name, _one_line(ex))
            await context.abort(StatusCode.INVALID_ARGUMENT, ex.reason)
        elif isinstance(ex, ModelNotFound):
            log.info("NOT_FOUND %s: %s", method_name, _one_line(ex))
            await context.abort(StatusCode.NOT_FOUND, ex.reason)
        elif isinstance(ex, ModelNotReady):
            log.warning("UNAVAILABLE %s: %s", method_name, _one_line(ex))
            await context.abort(StatusCode.UNAVAILABLE, getattr(ex, "reason", str(ex)))
        else:
            await super().handle_exception(ex, request_or_iterator, context, method_name)
