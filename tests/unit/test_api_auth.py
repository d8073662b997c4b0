"""X-API-Key on /predict/* and /monitoring/*: missing, wrong and right keys; 401 shape; constant-time compare."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_doubles import StubPredictor
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from serving.api import auth
from serving.api.app import create_app
from serving.api.auth import ApiKeyChecker
from soccerpredict.settings import Settings

KEYS = ["first-key-0123456789", "second-key-abcdefghij"]
PROTECTED_PREFIXES = ("/predict", "/monitoring")


def _client(tmp_path: Path, keys: list[str]) -> TestClient:
    settings = Settings(home=tmp_path / "home", store_uri=(tmp_path / "store").as_uri(), api_keys=keys)
    predictor = StubPredictor({"E0-20240817-arsenal-wolves": (0.5, 0.3, 0.2)})
    return TestClient(create_app(settings, predictor=predictor, registry=CollectorRegistry()))


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path, KEYS) as client:
        yield client


def _assert_401(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.headers["WWW-Authenticate"] == "APIKey"  # type: ignore[attr-defined]
    assert response.json() == {"detail": "missing or invalid API key (X-API-Key header)"}  # type: ignore[attr-defined]


def test_missing_key_is_401_with_www_authenticate(client: TestClient) -> None:
    _assert_401(client.get("/predict/E0-20240817-arsenal-wolves"))


def test_wrong_key_is_401_and_looks_like_a_missing_one(client: TestClient) -> None:
    _assert_401(client.get("/predict/E0-20240817-arsenal-wolves", headers={"X-API-Key": "nope"}))
    _assert_401(client.get("/monitoring/model", headers={"X-API-Key": KEYS[0] + "x"}))
    _assert_401(client.get("/monitoring/model", headers={"X-API-Key": ""}))


@pytest.mark.parametrize("key", KEYS)
def test_any_configured_key_is_accepted(client: TestClient, key: str) -> None:
    response = client.get("/predict/E0-20240817-arsenal-wolves", headers={"X-API-Key": key})
    assert response.status_code == 200
    assert response.json()["p_home"] == 0.5


def test_no_configured_keys_means_every_protected_call_is_refused(tmp_path: Path) -> None:
    with _client(tmp_path, []) as client:
        _assert_401(client.get("/monitoring/model", headers={"X-API-Key": "anything"}))
        assert client.get("/health/live").status_code == 200


def test_every_predict_and_monitoring_route_is_protected(client: TestClient) -> None:
    paths = {p: ops for p, ops in client.app.openapi()["paths"].items() if p.startswith(PROTECTED_PREFIXES)}  # type: ignore[attr-defined]
    assert len(paths) >= 9
    for template, operations in paths.items():
        path = re.sub(r"\{[^}]+\}", "E0-20240817-arsenal-wolves", template)
        for method in operations:
            _assert_401(client.request(method.upper(), path, json=["E0-20240817-arsenal-wolves"]))


def test_probes_and_metrics_need_no_key(client: TestClient) -> None:
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_keys_are_compared_in_constant_time_against_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = auth.secrets.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.secrets, "compare_digest", spy)
    checker = ApiKeyChecker([auth.SecretStr(k) for k in KEYS])
    assert checker.accepts(KEYS[0])
    # No early exit on the first match: every key is compared, as bytes.
    assert [b for _, b in calls] == [k.encode() for k in KEYS]
    assert not checker.accepts("wrong")
    assert not checker.accepts(None)


def test_keys_never_appear_in_logs_or_reprs(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.get("/monitoring/model", headers={"X-API-Key": "a-wrong-key-xyz"})
    client.get("/monitoring/model", headers={"X-API-Key": KEYS[0]})
    assert "a-wrong-key-xyz" not in caplog.text
    assert KEYS[0] not in caplog.text
    checker = client.app.state.api_keys  # type: ignore[attr-defined]
    assert KEYS[0] not in repr(checker)
    assert KEYS[0] not in repr(client.app.state.services.settings)  # type: ignore[attr-defined]


def test_non_ascii_keys_do_not_crash_the_compare() -> None:
    checker = ApiKeyChecker([auth.SecretStr("clé-ünïcode")])
    assert checker.accepts("clé-ünïcode")
    assert not checker.accepts("cle-unicode")


# --- The gate itself, as ASGI: it must refuse before the app (and so before anything reads the body). -------


def _run_gate(
    path: str, *, key: str | None = None, root_path: str = "", kind: str = "http", keys: list[str] = KEYS
) -> tuple[bool, list]:
    """Call ApiKeyGate once; (whether the app behind it ran, the messages the gate sent)."""
    reached: list[bool] = []
    sent: list[dict] = []

    async def app(scope: dict, receive: object, send: object) -> None:
        reached.append(True)

    async def receive() -> dict:
        raise AssertionError("the gate read the request body")

    async def send(message: dict) -> None:
        sent.append(message)

    headers = [] if key is None else [(b"x-api-key", key.encode("latin-1"))]
    scope = {"type": kind, "path": root_path + path, "root_path": root_path, "headers": headers, "method": "POST"}
    gate = auth.ApiKeyGate(app, checker=ApiKeyChecker([SecretStr(k) for k in keys]))
    asyncio.run(gate(scope, receive, send))
    return bool(reached), sent


@pytest.mark.parametrize("path", ["/predict", "/predict/E0-20240817-arsenal-wolves", "/monitoring/model"])
@pytest.mark.parametrize("root_path", ["", "/soccer"])
def test_the_gate_answers_401_without_reaching_the_app_or_reading_the_body(path: str, root_path: str) -> None:
    for key in (None, "nope"):
        reached, sent = _run_gate(path, key=key, root_path=root_path)
        assert not reached
        assert sent[0]["status"] == 401 and (b"www-authenticate", b"APIKey") in sent[0]["headers"]


@pytest.mark.parametrize("path", ["/predict/x", "/monitoring/drift"])
def test_the_gate_lets_an_accepted_key_through(path: str) -> None:
    assert _run_gate(path, key=KEYS[1]) == (True, [])
    assert _run_gate(path, key=KEYS[0], root_path="/soccer") == (True, [])


@pytest.mark.parametrize("path", ["/health/live", "/metrics", "/predictions", "/monitoringx", "/docs"])
def test_the_gate_leaves_unprotected_paths_and_lookalikes_to_the_app(path: str) -> None:
    assert _run_gate(path) == (True, [])


def test_the_gate_leaves_lifespan_and_websocket_scopes_alone() -> None:
    assert _run_gate("/predict/x", kind="lifespan") == (True, [])
    assert _run_gate("/predict/x", kind="websocket") == (True, [])


def test_a_non_ascii_key_is_read_as_starlette_reads_it() -> None:
    # Header bytes are latin-1 to Starlette; the gate must decode them the same way or refuse a valid key.
    assert _run_gate("/predict/x", key="clé-0123456789", keys=[*KEYS, "clé-0123456789"]) == (True, [])


def test_the_route_dependency_refuses_on_its_own_when_no_gate_stands_in_front() -> None:
    """Defence in depth: `require_api_key` alone gives the same 401 as the gate (the gate hides it in the app)."""
    from fastapi import Depends, FastAPI

    bare = FastAPI()
    bare.state.api_keys = ApiKeyChecker([SecretStr(KEYS[0])])

    @bare.get("/predict/x", dependencies=[Depends(auth.require_api_key)])
    def _route() -> dict[str, str]:
        return {"ok": "yes"}

    with TestClient(bare) as client:
        refused = client.get("/predict/x", headers={"X-API-Key": "wrong"})
        missing = client.get("/predict/x")
        accepted = client.get("/predict/x", headers={"X-API-Key": KEYS[0]})
    for response in (refused, missing):
        _assert_401(response)
        assert response.json() == {"detail": auth._UNAUTHORIZED_DETAIL}
    assert accepted.status_code == 200
    assert accepted.json() == {"ok": "yes"}


@pytest.mark.parametrize(
    ("path", "root_path", "routed"),
    [
        ("/predict/x", None, "/predict/x"),  # no root_path in the scope
        ("/predict/x", "", "/predict/x"),
        ("/soccer/predict/x", "/soccer", "/predict/x"),  # behind a prefix: the ASGI path still holds it
        ("/predict/x", "/soccer", "/predict/x"),  # a server that already took the prefix off: nothing to strip
    ],
)
def test_the_gate_matches_the_path_the_router_sees(path: str, root_path: str | None, routed: str) -> None:
    scope: dict[str, object] = {"type": "http", "path": path}
    if root_path is not None:
        scope["root_path"] = root_path
    assert auth._route_path(scope) == routed
