"""The model repository routes (load, unload) need the internal key; without one configured they are off.

kserve serves ``POST /v2/repository/models/{name}/load|unload`` (and the gRPC ``RepositoryModelLoad`` /
``RepositoryModelUnload``) to anyone, and an unload makes every prediction a 503. Here a request to them must
carry ``X-Admin-Key`` (gRPC metadata ``x-admin-key``) equal to ``SOCCER_PREDICTOR_ADMIN_KEY``: a missing or
wrong key is a 401 (gRPC UNAUTHENTICATED), and with no key configured every such request is a 403 (gRPC
PERMISSION_DENIED). The check runs before the body is read. The champion swap does not depend on these
routes: the predictor polls its alias (``SOCCER_CHAMPION_POLL_SECONDS``).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

import grpc
from grpc.aio import ServerInterceptor
from pydantic import SecretStr

__all__ = ["ADMIN_HEADER", "AdminKeyInterceptor", "RepositoryGate", "check_admin_key"]

ADMIN_HEADER: Final = "X-Admin-Key"
REPOSITORY_PREFIX: Final = "/v2/repository/"
_GRPC_METHODS: Final = frozenset({"RepositoryModelLoad", "RepositoryModelUnload"})
_OFF: Final = "the model repository routes are off: set SOCCER_PREDICTOR_ADMIN_KEY and send it in X-Admin-Key"
_BAD_KEY: Final = "the model repository routes need the internal key in X-Admin-Key"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def check_admin_key(expected: SecretStr | None, given: str | None) -> tuple[int, str] | None:
    """None when ``given`` is the configured key, else (HTTP status, reason): 403 when none is set, else 401."""
    if expected is None or not expected.get_secret_value():
        return 403, _OFF
    if given is None or not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        return 401, _BAD_KEY
    return None


class RepositoryGate:
    """ASGI middleware: requests under ``/v2/repository/`` need the admin key (checked before the body is read)."""

    def __init__(self, app: ASGIApp, *, admin_key: SecretStr | None) -> None:
        self.app = app
        self.admin_key = admin_key

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(REPOSITORY_PREFIX):
            given = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"x-admin-key"), None)
            refused = check_admin_key(self.admin_key, given)
            if refused is not None:
                await _refuse(send, *refused)
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, reason: str) -> None:
    body = json.dumps({"error": reason}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"APIKey"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class AdminKeyInterceptor(ServerInterceptor):
    """gRPC: ``RepositoryModelLoad`` and ``RepositoryModelUnload`` need ``x-admin-key`` metadata."""

    def __init__(self, admin_key: SecretStr | None) -> None:
        self.admin_key = admin_key

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        if details.method.rsplit("/", 1)[-1] not in _GRPC_METHODS:
            return await continuation(details)
        metadata = dict(details.invocation_metadata or ())
        given = metadata.get("x-admin-key")
        refused = check_admin_key(self.admin_key, given if isinstance(given, str) else None)
        if refused is None:
            return await continuation(details)
        code = grpc.StatusCode.UNAUTHENTICATED if refused[0] == 401 else grpc.StatusCode.PERMISSION_DENIED

        async def deny(request: Any, context: grpc.aio.ServicerContext) -> None:
            await context.abort(code, refused[1])

        return grpc.unary_unary_rpc_method_handler(deny)
