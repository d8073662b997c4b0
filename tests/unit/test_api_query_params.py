"""Query parameters of /predict/predictions/ are strict: dates are ISO strings (not numbers read as Unix times) and
offset is bounded, so every accepted value is one the OpenAPI document describes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from api_doubles import StubPredictor, eventually
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.api.routers.predict import MAX_OFFSET
from soccerpredict.artifacts import PREDICTIONS_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.settings import Settings

KEY = "params-test-key-0123456789"
HEADERS = {"X-API-Key": KEY}
PATH = "/predict/predictions/"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    store = ObjectStore((tmp_path / "store").as_uri())
    frame = pd.DataFrame(
        {"match_id": ["E0-20240817-arsenal-wolves"], "div": ["E0"], "date": [pd.Timestamp("2024-08-17")],
         "p_home": [0.5], "p_draw": [0.3], "p_away": [0.2]}
    )  # fmt: skip
    store.write_parquet(PREDICTIONS_KEY, frame)
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], precomputed_poll_seconds=0.05)
    app = create_app(settings, predictor=StubPredictor({}), store=store, registry=CollectorRegistry())
    with TestClient(app) as client:
        assert eventually(lambda: client.get(PATH, headers=HEADERS).status_code == 200)
        yield client


@pytest.mark.parametrize("value", ["0", "20240817", "1723852800", "2024-8-17", "17/08/2024", "2024-08-17T00:00:00"])
@pytest.mark.parametrize("name", ["date_from", "date_to"])
def test_dates_that_are_not_iso_strings_are_422(client: TestClient, name: str, value: str) -> None:
    response = client.get(PATH, params={name: value}, headers=HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"][0]["loc"] == ["query", name]


def test_iso_dates_filter(client: TestClient) -> None:
    inside = client.get(PATH, params={"date_from": "2024-08-17", "date_to": "2024-08-17"}, headers=HEADERS)
    assert inside.json()["total"] == 1
    after = client.get(PATH, params={"date_from": "2024-08-18"}, headers=HEADERS)
    assert after.json()["total"] == 0


@pytest.mark.parametrize("offset", [str(10**30), str(MAX_OFFSET + 1), "-1"])
def test_an_offset_out_of_bounds_is_422(client: TestClient, offset: str) -> None:
    response = client.get(PATH, params={"offset": offset}, headers=HEADERS)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "offset"]


def test_the_largest_offset_is_an_empty_page(client: TestClient) -> None:
    response = client.get(PATH, params={"offset": MAX_OFFSET}, headers=HEADERS)
    assert response.status_code == 200
    assert (response.json()["total"], response.json()["items"]) == (1, [])


def test_the_document_states_the_bounds(client: TestClient) -> None:
    params = {p["name"]: p["schema"] for p in client.app.openapi()["paths"][PATH]["get"]["parameters"]}  # type: ignore[attr-defined]
    for name in ("date_from", "date_to"):
        date = next(s for s in params[name]["anyOf"] if s.get("type") == "string")
        assert (date["format"], date["pattern"]) == ("date", r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    assert (params["offset"]["minimum"], params["offset"]["maximum"]) == (0, MAX_OFFSET)
    assert (params["limit"]["minimum"], params["limit"]["maximum"]) == (1, 500)
