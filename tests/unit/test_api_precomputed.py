"""Precomputed predictions, cards and drift: read from a local object store, refreshed when the object changes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from api_doubles import StubPredictor, as_new_version, eventually
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from soccerpredict.artifacts import CARDS_KEY, DRIFT_REPORT_KEY, DRIFT_SUMMARY_KEY, PREDICTIONS_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.settings import Settings

KEY = "unit-test-key"
HEADERS = {"X-API-Key": KEY}


def _predictions(p_home: float = 0.5) -> pd.DataFrame:
    rows = [
        ("E0-20240817-arsenal-wolves", "E0", "2024-08-17", "Arsenal", "Wolves"),
        ("E0-20240824-aston-villa-arsenal", "E0", "2024-08-24", "Aston Villa", "Arsenal"),
        ("SP1-20240818-sevilla-villarreal", "SP1", "2024-08-18", "Sevilla", "Villarreal"),
        ("E0-20240816-man-united-fulham", "E0", "2024-08-16", "Man United", "Fulham"),
    ]
    frame = pd.DataFrame(rows, columns=["match_id", "div", "date", "home_team", "away_team"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["p_home"], frame["p_draw"], frame["p_away"] = p_home, 0.3, round(0.7 - p_home, 6)
    frame["model_version"] = "7"
    frame["features_as_of"] = pd.Timestamp("2024-08-15 06:00")
    frame["status"] = "upcoming"
    return frame


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore((tmp_path / "store").as_uri())


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(tmp_path: Path, store: ObjectStore, registry: CollectorRegistry) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], precomputed_poll_seconds=0.05)
    app = create_app(settings, predictor=StubPredictor({}), store=store, registry=registry)
    with TestClient(app) as client:
        yield client


def test_nothing_published_is_503_saying_to_run_the_pipeline(client: TestClient) -> None:
    for path in ("/predict/predictions/", "/predict/precomputed/E0-20240817-arsenal-wolves", "/predict/cards/"):
        response = client.get(path, headers=HEADERS)
        assert response.status_code == 503
        assert response.json()["detail"].endswith("published yet, run the pipeline")
    for path in ("/monitoring/drift", "/monitoring/drift/report", "/monitoring/drift/history"):
        response = client.get(path, headers=HEADERS)
        assert response.status_code == 503
        assert "run the pipeline" in response.json()["detail"]


def test_published_predictions_appear_without_a_restart(client: TestClient, store: ObjectStore) -> None:
    store.write_parquet(PREDICTIONS_KEY, _predictions())
    page = eventually(lambda: client.get("/predict/predictions/", headers=HEADERS).status_code == 200)
    assert page
    body = client.get("/predict/predictions/", headers=HEADERS).json()
    assert body["total"] == 4
    assert [r["date"] for r in body["items"]] == ["2024-08-16", "2024-08-17", "2024-08-18", "2024-08-24"]
    assert body["items"][0]["features_as_of"] == "2024-08-15T06:00:00"


def test_filters_and_pagination(client: TestClient, store: ObjectStore) -> None:
    store.write_parquet(PREDICTIONS_KEY, _predictions())
    assert eventually(lambda: client.get("/predict/predictions/", headers=HEADERS).status_code == 200)

    def ids(**params: Any) -> tuple[int, list[str]]:
        body = client.get("/predict/predictions/", params=params, headers=HEADERS).json()
        return body["total"], [r["match_id"] for r in body["items"]]

    assert ids(div="SP1") == (1, ["SP1-20240818-sevilla-villarreal"])
    assert ids(div="E0", date_from="2024-08-17") == (
        2, ["E0-20240817-arsenal-wolves", "E0-20240824-aston-villa-arsenal"]
    )  # fmt: skip
    assert ids(date_from="2024-08-17", date_to="2024-08-18")[0] == 2
    assert ids(limit=2, offset=1) == (4, ["E0-20240817-arsenal-wolves", "SP1-20240818-sevilla-villarreal"])
    assert ids(offset=10) == (4, [])
    assert client.get("/predict/predictions/", params={"limit": 0}, headers=HEADERS).status_code == 422


def test_one_precomputed_match(client: TestClient, store: ObjectStore) -> None:
    store.write_parquet(PREDICTIONS_KEY, _predictions())
    path = "/predict/precomputed/E0-20240817-arsenal-wolves"
    assert eventually(lambda: client.get(path, headers=HEADERS).status_code == 200)
    body = client.get(path, headers=HEADERS).json()
    assert (body["home_team"], body["p_home"], body["model_version"]) == ("Arsenal", 0.5, "7")
    missing = client.get("/predict/precomputed/E0-20990101-a-b", headers=HEADERS)
    assert missing.status_code == 404
    assert "not in the published predictions" in missing.json()["detail"]


def test_a_new_version_replaces_the_old_one(
    client: TestClient, store: ObjectStore, registry: CollectorRegistry
) -> None:
    path = "/predict/precomputed/E0-20240817-arsenal-wolves"
    store.write_parquet(PREDICTIONS_KEY, _predictions(p_home=0.5))
    assert eventually(lambda: client.get(path, headers=HEADERS).status_code == 200)
    first = client.get("/predict/predictions/", headers=HEADERS).json()["published_version"]
    before = store.info(PREDICTIONS_KEY)
    store.write_parquet(PREDICTIONS_KEY, _predictions(p_home=0.6))
    as_new_version(store, PREDICTIONS_KEY, before)  # the same size: only the mtime tells it apart
    assert eventually(lambda: client.get(path, headers=HEADERS).json()["p_home"] == 0.6)
    assert client.get("/predict/predictions/", headers=HEADERS).json()["published_version"] != first
    # When batch inference produced the predictions in service (their features_as_of, UTC), not when they loaded.
    produced = pd.Timestamp("2024-08-15 06:00", tz="UTC").timestamp()
    assert registry.get_sample_value("soccerpredict_predictions_last_refresh_timestamp_seconds") == produced


def test_requests_never_wait_for_a_reload(client: TestClient, store: ObjectStore) -> None:
    path = "/predict/precomputed/E0-20240817-arsenal-wolves"
    store.write_parquet(PREDICTIONS_KEY, _predictions(p_home=0.5))
    assert eventually(lambda: client.get(path, headers=HEADERS).status_code == 200)
    published = client.app.state.services.precomputed.predictions  # type: ignore[attr-defined]
    gate, entered = threading.Event(), threading.Event()
    parse = published._parse

    def slow_parse(raw: bytes) -> Any:
        entered.set()
        gate.wait(10)
        return parse(raw)

    published._parse = slow_parse
    before = store.info(PREDICTIONS_KEY)
    store.write_parquet(PREDICTIONS_KEY, _predictions(p_home=0.6))
    as_new_version(store, PREDICTIONS_KEY, before)
    assert entered.wait(10)  # the reload is in progress and stuck...
    # ...yet requests get the old snapshot (a request that waited for the reload would see 0.6)
    assert client.get(path, headers=HEADERS).json()["p_home"] == 0.5
    gate.set()
    assert eventually(lambda: client.get(path, headers=HEADERS).json()["p_home"] == 0.6)


def test_a_broken_publish_keeps_the_last_good_version(client: TestClient, store: ObjectStore) -> None:
    path = "/predict/precomputed/E0-20240817-arsenal-wolves"
    store.write_parquet(PREDICTIONS_KEY, _predictions(p_home=0.5))
    assert eventually(lambda: client.get(path, headers=HEADERS).status_code == 200)
    published = client.app.state.services.precomputed.predictions  # type: ignore[attr-defined]
    store.write_bytes(PREDICTIONS_KEY, b"not a parquet file")
    broken = store.info(PREDICTIONS_KEY)
    # Wait until a poll has read and rejected the broken file: only then does "still 0.5" prove anything.
    assert eventually(lambda: published.rejected == (broken.version, broken.size))
    assert client.get(path, headers=HEADERS).json()["p_home"] == 0.5


def test_cards_and_drift(client: TestClient, store: ObjectStore) -> None:
    store.write_json(CARDS_KEY, [{"match_id": "E0-20240817-arsenal-wolves", "home_team": "Arsenal", "p_home": 0.5}])
    store.write_json(DRIFT_SUMMARY_KEY, {"drifted_features_share": 0.1, "features": {"elo_diff": {"score": 0.2}}})
    store.write_bytes(DRIFT_REPORT_KEY, b"<html><body>drift report</body></html>")
    # Three objects, each loaded on its own within a poll: a poll that started between two of the writes loads the
    # later ones first, so each is waited for, not only the last written.
    for path in ("/predict/cards/", "/monitoring/drift", "/monitoring/drift/report"):
        assert eventually(lambda: client.get(path, headers=HEADERS).status_code == 200), path  # noqa: B023
    assert client.get("/predict/cards/", headers=HEADERS).json()[0]["home_team"] == "Arsenal"
    assert client.get("/monitoring/drift", headers=HEADERS).json()["drifted_features_share"] == 0.1
    report = client.get("/monitoring/drift/report", headers=HEADERS)
    assert report.headers["content-type"].startswith("text/html")
    assert "drift report" in report.text
