"""``X-API-Key`` authentication: the one place that decides whether a request may proceed.

Keys come from ``SOCCER_API_KEYS`` (``Settings.api_keys``), are compared in constant time and never
logged. With no keys configured every protected route answers 401: the facade fails closed.

Two checks, one checker: :class:`ApiKeyGate` (ASGI middleware) refuses a request under ``/predict`` or
``/monitoring`` before anything reads its body (FastAPI reads and parses a body before it runs a route's
dependencies, so an anonymous client could otherwise make the facade read and parse megabytes), and the
:func:`require_api_key` dependency on the routers declares the scheme in OpenAPI and guards any route that
is reached some other way.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Annotated, Any, Final

from fastapi import HTTPException, Request, Security, status
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from serving.api.schemas import ErrorResponse

__all__ = [
    "API_KEY_HEADER",
    "PROTECTED_PREFIXES",
    "UNAUTHORIZED_RESPONSE",
    "ApiKeyChecker",
    "ApiKeyGate",
    "is_protected",
    "require_api_key",
    "unauthorized",
]

API_KEY_HEADER: Final = "X-API-Key"
#: Every path under these needs a key (the routers of /predict and /monitoring depend on require_api_key too).
PROTECTED_PREFIXES: Final = ("/predict", "/monitoring")
_HEADER_NAME: Final = API_KEY_HEADER.lower().encode()
_UNAUTHORIZED_DETAIL: Final = "missing or invalid API key (X-API-Key header)"
_CHALLENGE: Final = {"WWW-Authenticate": "APIKey"}

_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="One of the keys in SOCCER_API_KEYS.",
    auto_error=False,  # we raise our own 401 so missing and wrong keys look the same to clients
)

#: OpenAPI description of the 401 every protected route can return.
UNAUTHORIZED_RESPONSE: Final[dict[int | str, dict[str, Any]]] = {
    status.HTTP_401_UNAUTHORIZED: {
        "model": ErrorResponse,
        "description": "Missing or wrong X-API-Key.",
        "headers": {"WWW-Authenticate": {"description": "Always `APIKey`.", "schema": {"type": "string"}}},
        "content": {"application/json": {"example": {"detail": _UNAUTHORIZED_DETAIL}}},
    }
}


def unauthorized() -> HTTPException:
    """The 401 for a missing or wrong key.

    RFC 9110 requires ``WWW-Authenticate`` on every 401; the detail is the same for a missing and a
    wrong key so the answer says nothing about which keys exist.
    """
    return HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail=_UNAUTHORIZED_DETAIL, headers=_CHALLENGE)


class ApiKeyChecker:
    """Holds the accepted keys as bytes and checks a presented key against all of them."""

    def __init__(self, keys: Sequence[SecretStr]) -> None:
        self._keys = tuple(k.get_secret_value().encode() for k in keys if k.get_secret_value())

    def __repr__(self) -> str:
        return f"ApiKeyChecker(<{len(self._keys)} keys>)"  # never the keys themselves

    @property
    def configured(self) -> bool:
        """Whether any key is accepted at all."""
        return bool(self._keys)

    def accepts(self, presented: str | None) -> bool:
        """Constant-time comparison against every key (no early exit that would time which one matched)."""
        if not presented:
            return False
        given = presented.encode()
        matched = False
        for key in self._keys:
            matched |= secrets.compare_digest(given, key)
        return matched


async def require_api_key(request: Request, key: Annotated[str | None, Security(_scheme)]) -> None:
    """FastAPI dependency: pass, or raise the 401."""
    checker: ApiKeyChecker = request.app.state.api_keys
    if not checker.accepts(key):
        raise unauthorized()


def is_protected(path: str) -> bool:
    """Whether a request path needs a key: a protected prefix itself or anything below it."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PROTECTED_PREFIXES)


def _presented_key(scope: Scope) -> str | None:
    # Decoded as Starlette decodes headers (latin-1), so both checks see the same string.
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == _HEADER_NAME:
            return value.decode("latin-1")
    return None


class ApiKeyGate:
    """ASGI middleware: a protected path without an accepted key gets the 401 at once, its body unread."""

    def __init__(self, app: ASGIApp, *, checker: ApiKeyChecker) -> None:
        self.app = app
        self._checker = checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused = (
            scope["type"] == "http"
            and is_protected(_route_path(scope))
            and not self._checker.accepts(_presented_key(scope))
        )
        if not refused:
            await self.app(scope, receive, send)
            return
        response = JSONResponse(
            {"detail": _UNAUTHORIZED_DETAIL}, status_code=status.HTTP_401_UNAUTHORIZED, headers=_CHALLENGE
        )
        await response(scope, receive, send)


def _route_path(scope: Scope) -> str:
    # The path the router matches: behind a proxy prefix (root_path) the ASGI path still starts with it.
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
