"""The request body cap (``SOCCER_API_MAX_BODY_BYTES``): a body over it is refused with 413 and never read whole.

A plain ASGI middleware, so it sees the body before FastAPI does: a declared ``Content-Length`` over the cap is
refused before any byte is read, and a chunked body is counted as it arrives and refused in the chunk that
crosses the cap. FastAPI's own ``max_body_size`` answers some of these cases in plain text; this one always
answers with the JSON ``detail`` every other error of the facade has.
"""

from __future__ import annotations

from typing import Final

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["TOO_LARGE_RESPONSE", "BodyLimit", "BodyTooLarge", "declared_length", "too_large_detail"]

#: OpenAPI description of the 413 (the example shows the default cap).
TOO_LARGE_RESPONSE: Final = (
    "The request body is over SOCCER_API_MAX_BODY_BYTES (default 1 MiB); it was not read.",
    "request body over the limit of 1048576 bytes (SOCCER_API_MAX_BODY_BYTES)",
)


def too_large_detail(max_bytes: int) -> str:
    """The 413's ``detail``: the cap and the setting that moves it."""
    return f"request body over the limit of {max_bytes} bytes (SOCCER_API_MAX_BODY_BYTES)"


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` when the bytes read pass the cap; FastAPI answers it like any HTTPException.

    ``Connection: close``: the rest of the body is still on the wire and will not be read.
    """

    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE, detail=too_large_detail(max_bytes), headers={"Connection": "close"}
        )


def declared_length(scope: Scope) -> int | None:
    """The request's ``Content-Length`` (None when absent or not a number: then only the count applies)."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class BodyLimit:
    """Refuse request bodies over ``max_bytes`` with 413, before or while they are read."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = declared_length(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            # FastAPI turns it into the 413 when a route reads the body; this catches any other reader.
            if started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            {"detail": too_large_detail(self.max_bytes)},
            status_code=status.HTTP_413_CONTENT_TOO_LARGE,
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)
