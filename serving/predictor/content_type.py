"""Read a v2 request body that names no Content-Type as JSON, as stock v2 clients expect.

``tritonclient.http`` in JSON mode sends its body without a Content-Type. FastAPI (strict content type) then
hands kserve the raw bytes, and kserve reads bytes as the binary tensor extension, which needs the
``Inference-Header-Content-Length`` header, so the request fails with a 400. A body without either header
cannot be a binary request (the JSON header's length is missing), so this middleware labels it
``application/json`` before FastAPI parses it. Requests with a Content-Type, and binary requests, pass
unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

__all__ = ["JsonWithoutContentType"]

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON: Final = (b"content-type", b"application/json")
#: Headers that say how the body is encoded; ASGI header names are lower-case.
_ENCODING_HEADERS: Final = frozenset({b"content-type", b"inference-header-content-length"})


class JsonWithoutContentType:
    """ASGI middleware: a POST under ``/v2/`` without Content-Type or binary header is JSON."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"].startswith("/v2/"):
            headers = scope["headers"]
            if not any(name.lower() in _ENCODING_HEADERS for name, _ in headers):
                scope = {**scope, "headers": [*headers, _JSON]}
        await self.app(scope, receive, send)
