"""``GET /monitoring/drift``, ``/monitoring/drift/report`` and ``/monitoring/drift/history``: what the monitor_drift
stage publishes, served by the facade (API key required), and the drift gauges it sets on ``/metrics``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from api_doubles import StubPredictor, eventually
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from serving.api.app import create_app
from soccerpredict.artifacts import DRIFT_HISTORY_KEY, DRIFT_REPORT_KEY, DRIFT_SUMMARY_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.drift_history import DriftHistory, DriftHistoryEntry, history_entry, publish_history
from soccerpredict.settings import Settings

KEY = "drift-test-key"
HEADERS = {"X-API-Key": KEY}
SUMMARY = {
    "drifted_share": 0.5,
    "drifted_features": ["elo_diff"],
    "reference_rows": 5000,
    "current_rows": 180,
    "features": [
        {"feature": "elo_diff", "score": 0.012, "method": "K-S p_value", "threshold": 0.05, "drifted": True},
        {"feature": "rest_days_diff", "score": 0.04, "method": "Wasserstein distance (normed)", "threshold": 0.1,
         "drifted": False},
    ],
    "current_from": "2024-06-17",
    "current_to": "2024-08-16",
}  # fmt: skip
REPORT = b"<html><body><h1>Data drift</h1></body></html>"


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore((tmp_path / "store").as_uri())


@pytest.fixture
def client(tmp_path: Path, store: ObjectStore) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], precomputed_poll_seconds=0.05)
    app = create_app(settings, predictor=StubPredictor({}), store=store, registry=CollectorRegistry())
    with TestClient(app) as client:
        yield client


def samples(client: TestClient, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def publish(store: ObjectStore, summary: dict[str, Any], report: bytes = REPORT) -> None:
    store.write_json(DRIFT_SUMMARY_KEY, summary)
    store.write_bytes(DRIFT_REPORT_KEY, report)


@pytest.mark.parametrize("path", ["/monitoring/drift", "/monitoring/drift/report", "/monitoring/drift/history"])
def test_drift_needs_an_api_key(client: TestClient, path: str) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "APIKey"


def test_summary_has_score_method_threshold_and_flag_per_feature(client: TestClient, store: ObjectStore) -> None:
    publish(store, SUMMARY)
    response = eventually(lambda: (r := client.get("/monitoring/drift", headers=HEADERS)).status_code == 200 and r)
    assert response, "the published summary never appeared"
    body = response.json()
    assert body["drifted_share"] == 0.5
    assert {f["feature"]: (f["score"], f["method"], f["threshold"], f["drifted"]) for f in body["features"]} == {
        "elo_diff": (0.012, "K-S p_value", 0.05, True),
        "rest_days_diff": (0.04, "Wasserstein distance (normed)", 0.1, False),
    }


def test_html_report_is_served_as_html(client: TestClient, store: ObjectStore) -> None:
    publish(store, SUMMARY)
    response = eventually(
        lambda: (r := client.get("/monitoring/drift/report", headers=HEADERS)).status_code == 200 and r
    )
    assert response, "the published report never appeared"
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == REPORT


def test_loading_a_summary_sets_the_drift_gauges(client: TestClient, store: ObjectStore) -> None:
    publish(store, SUMMARY)
    assert eventually(lambda: samples(client, "soccerpredict_model_feature_drift_score"))
    assert samples(client, "soccerpredict_model_feature_drift_score") == {
        (("feature", "elo_diff"), ("method", "K-S p_value")): 0.012,
        (("feature", "rest_days_diff"), ("method", "Wasserstein distance (normed)")): 0.04,
    }
    assert samples(client, "soccerpredict_model_feature_drifted") == {
        (("feature", "elo_diff"),): 1.0,
        (("feature", "rest_days_diff"),): 0.0,
    }
    assert samples(client, "soccerpredict_model_drifted_features_share") == {(): 0.5}

    # A new summary replaces the series: features that left it disappear.
    features: list[dict[str, Any]] = SUMMARY["features"]  # type: ignore[assignment]
    newer = {**SUMMARY, "drifted_share": 0.0, "features": [{**features[1], "score": 0.01}]}
    store.write_json(DRIFT_SUMMARY_KEY, newer)
    assert eventually(lambda: samples(client, "soccerpredict_model_drifted_features_share") == {(): 0.0})
    assert samples(client, "soccerpredict_model_feature_drift_score") == {
        (("feature", "rest_days_diff"), ("method", "Wasserstein distance (normed)")): 0.01
    }


def test_a_broken_publish_keeps_the_last_summary_and_gauges(client: TestClient, store: ObjectStore) -> None:
    publish(store, SUMMARY)
    assert eventually(lambda: samples(client, "soccerpredict_model_drifted_features_share") == {(): 0.5})
    published = client.app.state.services.precomputed.drift  # type: ignore[attr-defined]
    store.write_bytes(DRIFT_SUMMARY_KEY, b"{not json")
    broken = store.info(DRIFT_SUMMARY_KEY)
    # Wait until a poll has read and rejected the broken summary: only then does "still 0.5" prove anything.
    assert eventually(lambda: published.rejected == (broken.version, broken.size))
    assert client.get("/monitoring/drift", headers=HEADERS).json()["drifted_share"] == 0.5
    assert samples(client, "soccerpredict_model_drifted_features_share") == {(): 0.5}


def test_the_real_evidently_summary_round_trips(client: TestClient, store: ObjectStore) -> None:
    """What compute_drift (the monitor_drift stage) writes is what the endpoint and the gauges read."""
    from soccerpredict.monitoring.drift import compute_drift

    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"elo_diff": rng.normal(0, 1, 400), "rest_days_diff": rng.normal(0, 1, 400)})
    current = pd.DataFrame({"elo_diff": rng.normal(2, 1, 120), "rest_days_diff": rng.normal(0, 1, 120)})
    result = compute_drift(reference, current, ["elo_diff", "rest_days_diff"])
    publish(store, result.summary(), result.html.encode())
    response = eventually(lambda: (r := client.get("/monitoring/drift", headers=HEADERS)).status_code == 200 and r)
    assert response
    features = {f["feature"]: f for f in response.json()["features"]}
    assert set(features) == {"elo_diff", "rest_days_diff"}
    for row in features.values():
        assert {"score", "method", "threshold", "drifted"} <= set(row)
    assert features["elo_diff"]["drifted"] is True
    assert eventually(
        lambda: samples(client, "soccerpredict_model_feature_drifted").get((("feature", "elo_diff"),)) == 1.0
    )
    scores = samples(client, "soccerpredict_model_feature_drift_score")
    assert {dict(labels)["feature"] for labels in scores} == {"elo_diff", "rest_days_diff"}
    assert samples(client, "soccerpredict_model_drifted_features_share") == {(): result.drifted_share}
    # The summary and the report are two objects, each polled on its own: the report may load a poll later.
    report = eventually(lambda: (r := client.get("/monitoring/drift/report", headers=HEADERS)).status_code == 200 and r)
    assert report, "the published report never appeared"
    assert report.headers["content-type"].startswith("text/html")
    assert "<html" in report.text.lower()


def _entry(day: int, share: float) -> DriftHistoryEntry:
    computed = pd.Timestamp("2024-08-01T06:00:00Z") + pd.Timedelta(days=day)
    return history_entry({**SUMMARY, "drifted_share": share}, computed.to_pydatetime())


def test_history_is_served_oldest_first(client: TestClient, store: ObjectStore) -> None:
    for day, share in enumerate([0.0, 0.25, 0.5]):
        publish_history(store, _entry(day, share))
    response = eventually(
        lambda: (
            (r := client.get("/monitoring/drift/history", headers=HEADERS)).status_code == 200
            and len(r.json()["entries"]) == 3
            and r
        )
    )
    assert response, "the published history never appeared"
    entries = response.json()["entries"]
    assert [e["drifted_share"] for e in entries] == [0.0, 0.25, 0.5]
    assert entries[-1] == {
        "current_from": "2024-06-17",
        "current_to": "2024-08-16",
        "drifted_share": 0.5,
        "features_checked": 2,
        "features_drifted": 1,
        "computed_at": "2024-08-03T06:00:00Z",
    }


def test_no_history_is_a_503_that_says_which_stage_writes_it(client: TestClient) -> None:
    precomputed = client.app.state.services.precomputed  # type: ignore[attr-defined]
    assert eventually(precomputed.first_pass.is_set), "the first poll never ran"
    response = client.get("/monitoring/drift/history", headers=HEADERS)
    assert response.status_code == 503
    assert "monitor_drift" in response.json()["detail"]


def test_a_broken_history_publish_keeps_the_last_good_one(client: TestClient, store: ObjectStore) -> None:
    publish_history(store, _entry(0, 0.25))
    assert eventually(lambda: client.get("/monitoring/drift/history", headers=HEADERS).status_code == 200)
    published = client.app.state.services.precomputed.drift_history  # type: ignore[attr-defined]
    store.write_bytes(DRIFT_HISTORY_KEY, b'{"entries": [{"drifted_share": "high"}]}')
    broken = store.info(DRIFT_HISTORY_KEY)
    assert eventually(lambda: published.rejected == (broken.version, broken.size))
    body = client.get("/monitoring/drift/history", headers=HEADERS).json()
    assert DriftHistory.model_validate(body).entries == [_entry(0, 0.25)]
