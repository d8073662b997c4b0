"""Bad input is a 4xx with a JSON body, never a 500, and the 422 never echoes the whole input back.

NaN and Infinity are accepted by Python's JSON parser; the 422 that reports them used to fail to serialise its
own ``input`` (a 500). A long list or a long string used to come back whole inside the 422.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_doubles import StubPredictor
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.api.validation import MAX_ERRORS, MAX_INPUT_CHARS, public_errors
from soccerpredict.settings import Settings

KEY = "validation-test-key-0123456789"
HEADERS = {"X-API-Key": KEY, "Content-Type": "application/json"}
MATCH = "E0-20240817-arsenal-wolves"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", api_keys=[KEY])
    app = create_app(settings, predictor=StubPredictor({MATCH: (0.5, 0.3, 0.2)}), registry=CollectorRegistry())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.mark.parametrize(
    "body",
    [b"[NaN]", b"[Infinity]", b"[-Infinity]", b"NaN", b'["E0-20240817-arsenal-wolves", NaN]', b"[1e400]"],
    ids=["nan", "inf", "-inf", "bare-nan", "nan-after-an-id", "overflow-to-inf"],
)
def test_non_finite_numbers_are_422_not_500(client: TestClient, body: bytes) -> None:
    response = client.post("/predict/async/", content=body, headers=HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"][0] == "body"


def test_a_body_that_is_not_utf8_is_a_400_with_a_json_detail(client: TestClient) -> None:
    response = client.post("/predict/async/", content=b'["\xff\xfe"]', headers=HEADERS)
    assert response.status_code == 400
    assert response.json() == {"detail": "There was an error parsing the body"}


def test_a_list_over_its_length_cap_is_not_echoed(client: TestClient) -> None:
    ids = [f"E0-20240817-team{i}-other{i}" for i in range(1001)]
    response = client.post("/predict/async/", json=ids, headers=HEADERS)
    assert response.status_code == 422
    assert len(response.content) < 1000
    assert ids[0] not in response.text
    (error,) = response.json()["detail"]
    assert (error["type"], error["loc"]) == ("too_long", ["body"])
    assert "input" not in error


def test_a_long_string_comes_back_truncated(client: TestClient) -> None:
    response = client.post("/predict/async/", json=["*" * 100_000], headers=HEADERS)
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", 0]
    assert error["input"] == "*" * MAX_INPUT_CHARS + "…"
    assert len(response.content) < 2000


def test_many_errors_are_capped_with_a_note_of_how_many_were_left_out(client: TestClient) -> None:
    response = client.post("/predict/async/", json=["not*an*id"] * 600, headers=HEADERS)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == MAX_ERRORS + 1
    assert detail[-1] == {"type": "too_many_errors", "loc": [], "msg": f"{600 - MAX_ERRORS} more errors not shown"}


def test_public_errors_keep_what_helps_and_drop_what_cannot_be_sent() -> None:
    errors: list[dict[str, Any]] = [
        {"type": "string_type", "loc": ("body", 0), "msg": "Input should be a valid string", "input": float("nan")},
        {"type": "too_long", "loc": ("body",), "msg": "List too long", "input": [1] * 5, "ctx": {"max_length": 3}},
        {"type": "value_error", "loc": ("query", "d"), "msg": "bad", "input": "0", "ctx": {"error": ValueError("x")}},
        {"type": "int_parsing", "loc": ("query", "offset"), "msg": "bad", "input": 10**40},
    ]
    public = public_errors(errors)
    assert public == [
        {"type": "string_type", "loc": ["body", 0], "msg": "Input should be a valid string", "input": "nan"},
        {"type": "too_long", "loc": ["body"], "msg": "List too long", "ctx": {"max_length": 3}},
        {"type": "value_error", "loc": ["query", "d"], "msg": "bad", "input": "0", "ctx": {"error": "x"}},
        {"type": "int_parsing", "loc": ["query", "offset"], "msg": "bad", "input": str(10**40)},
    ]
    json.dumps(public, allow_nan=False)  # what Starlette's JSONResponse requires
