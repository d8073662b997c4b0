"""``X-API-Key`` authentication: the one place that decides whether a request may proceed.

Keys come from ``SOCCER_API_KEYS`` (``Settings.api_keys``), are compared in constant time and never
logged. With no keys configured every protected route answers 401: the facade fails closed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Annotated, Any, Final

from fastapi import HTTPException, Request, Security, status
from fastapi.security import APIKeyHeader
from pydantic import SecretStr

from serving.api.schemas import ErrorResponse

__all__ = ["API_KEY_HEADER", "UNAUTHORIZED_RESPONSE", "ApiKeyChecker", "require_api_key", "unauthorized"]

API_KEY_HEADER: Final = "X-API-Key"

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
        "content": {"application/json": {"example": {"detail": "missing or invalid API key (X-API-Key header)"}}},
    }
}


def unauthorized() -> HTTPException:
    """The 401 for a missing or wrong key.

    RFC 9110 requires ``WWW-Authenticate`` on every 401; the detail is the same for a missing and a
    wrong key so the answer says nothing about which keys exist.
    """
    return HTTPException(
        status_code=status.HTTP_401_UNAUTHORIZED,
        detail="missing or invalid API key (X-API-Key header)",
        headers={"WWW-Authenticate": "APIKey"},
    )


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
