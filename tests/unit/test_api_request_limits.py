"""Request bodies: a protected route without a valid key answers 401 before reading any of its body; a body over
SOCCER_API_MAX_BODY_BYTES answers 413 before it is read (declared length) or as soon as the count passes the limit
(chunked), so an oversized body is never read whole.

The app is called as plain ASGI with a ``receive`` that counts the body chunks it hands out: how much of the body
the facade pulled is observed, not inferred from timings.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from api_doubles import StubPredictor
from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from soccerpredict.settings import Settings

KEY = "limits-test-key-0123456789"
MATCH = "E0-20240817-arsenal-wolves"
CHUNK = 64 * 1024
LIMIT = 256 * 1024


class Sent:
    """What the app answered and how many body chunks it pulled from the client."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        self.pulled = 0

    @property
    def status(self) -> int:
        return int(self.messages[0]["status"])

    @property
    def headers(self) -> dict[str, str]:
        return {k.decode().lower(): v.decode() for k, v in self.messages[0]["headers"]}

    def json(self) -> Any:
        return json.loads(b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body"))


def call(app: FastAPI, path: str, chunks: list[bytes], *, key: str | None, declare_length: bool) -> Sent:
    """One POST, its body sent in ``chunks`` (with Content-Length when ``declare_length``, else chunked)."""
    sent = Sent()
    headers = [(b"content-type", b"application/json")]
    if key is not None:
        headers.append((b"x-api-key", key.encode()))
    if declare_length:
        headers.append((b"content-length", str(sum(map(len, chunks))).encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip

    async def receive() -> dict[str, Any]:
        if sent.pulled < len(chunks):
            sent.pulled += 1
            return {"type": "http.request", "body": chunks[sent.pulled - 1], "more_body": sent.pulled < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.messages.append(dict(message))

    asyncio.run(app(scope, receive, send))
    return sent


def oversized(total: int) -> list[bytes]:
    """A JSON list of match ids of about ``total`` bytes, in CHUNK-sized pieces."""
    body = json.dumps([MATCH] * (total // (len(MATCH) + 4))).encode()
    return [body[i : i + CHUNK] for i in range(0, len(body), CHUNK)]


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], api_max_body_bytes=LIMIT)
    yield create_app(settings, predictor=StubPredictor({MATCH: (0.5, 0.3, 0.2)}), registry=CollectorRegistry())


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
@pytest.mark.parametrize("key", [None, "a-wrong-key"], ids=["no-key", "wrong-key"])
def test_a_request_without_a_valid_key_is_401_before_any_of_its_body_is_read(
    app: FastAPI, key: str | None, declare_length: bool
) -> None:
    sent = call(app, "/predict/async/", [b"[" + b" " * (CHUNK - 1)] * 8, key=key, declare_length=declare_length)
    assert sent.status == 401
    assert sent.headers["www-authenticate"] == "APIKey"
    assert sent.json() == {"detail": "missing or invalid API key (X-API-Key header)"}
    assert sent.pulled == 0


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(app: FastAPI) -> None:
    sent = call(app, "/predict/async/", oversized(4 * LIMIT), key=KEY, declare_length=True)
    assert sent.status == 413
    assert sent.json()["detail"] == f"request body over the limit of {LIMIT} bytes (SOCCER_API_MAX_BODY_BYTES)"
    assert sent.pulled == 0


def test_a_chunked_body_over_the_limit_is_413_once_the_limit_is_passed(app: FastAPI) -> None:
    chunks = oversized(4 * LIMIT)
    sent = call(app, "/predict/async/", chunks, key=KEY, declare_length=False)
    assert sent.status == 413
    assert "SOCCER_API_MAX_BODY_BYTES" in sent.json()["detail"]
    # The count passes the limit within the chunk that crosses it; nothing after that chunk is pulled.
    assert sent.pulled == LIMIT // CHUNK + 1 < len(chunks)


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "chunked"])
def test_a_body_within_the_limit_is_served(app: FastAPI, declare_length: bool) -> None:
    body = json.dumps([MATCH, "E0-20240817-everton-brighton"]).encode()
    sent = call(app, "/predict/async/", [body[:10], body[10:]], key=KEY, declare_length=declare_length)
    assert sent.status == 202
    assert sent.json()["task_id"]


def test_the_limit_applies_to_open_routes_too(app: FastAPI) -> None:
    sent = call(app, "/health/live", oversized(2 * LIMIT), key=None, declare_length=True)
    assert sent.status == 413
    assert sent.pulled == 0
