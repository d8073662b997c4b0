"""``GET /monitoring/model/evaluation``: the champion's evaluation batch inference publishes, served by the facade
(API key required); 503 until published, and the last good copy kept when a broken one is published."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_doubles import StubPredictor, eventually
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry
from report_doubles import REPORT

from serving.api.app import create_app
from soccerpredict.artifacts import MODEL_EVALUATION_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.models.report import EvaluationReport, ModelEvaluation
from soccerpredict.settings import Settings

KEY = "evaluation-test-key"
HEADERS = {"X-API-Key": KEY}
PATH = "/monitoring/model/evaluation"


def published(version: str = "7", **extra: object) -> ModelEvaluation:
    return ModelEvaluation(
        model="soccer-1x2",
        version=version,
        published_at="2024-08-16T06:00:00+00:00",
        evaluation=EvaluationReport.model_validate(REPORT),
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore((tmp_path / "store").as_uri())


@pytest.fixture
def client(tmp_path: Path, store: ObjectStore) -> Iterator[TestClient]:
    settings = Settings(home=tmp_path / "home", api_keys=[KEY], precomputed_poll_seconds=0.05)
    app = create_app(settings, predictor=StubPredictor({}), store=store, registry=CollectorRegistry())
    with TestClient(app) as client:
        yield client


def served(client: TestClient, version: str) -> dict[str, object] | None:
    response = client.get(PATH, headers=HEADERS)
    body = response.json() if response.status_code == 200 else None
    return body if body is not None and body["version"] == version else None


def test_the_evaluation_needs_an_api_key(client: TestClient) -> None:
    for headers in ({}, {"X-API-Key": "wrong"}):
        response = client.get(PATH, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "APIKey"


def test_before_anything_is_published_it_is_a_503_saying_what_to_run(client: TestClient) -> None:
    response = client.get(PATH, headers=HEADERS)
    assert response.status_code == 503
    assert "batch_inference" in response.json()["detail"] and "@champion" in response.json()["detail"]


def test_the_published_evaluation_is_served_as_published(client: TestClient, store: ObjectStore) -> None:
    store.write_bytes(
        MODEL_EVALUATION_KEY, published(card="# Model card", reliability_png="iVBORw0K").to_json().encode()
    )
    body = eventually(lambda: served(client, "7"))
    assert body, "the published evaluation never appeared"
    # Every field of the schema is in the answer (null where the report has none), the report's own values as written.
    assert EvaluationReport.model_validate(body["evaluation"]) == EvaluationReport.model_validate(REPORT)
    assert body["evaluation"]["metrics"]["model"]["n"] is None  # type: ignore[index]
    assert body["card"] == "# Model card" and body["reliability_png"] == "iVBORw0K"
    assert ModelEvaluation.model_validate(body).evaluation.model_scores.rps == 0.1968


def test_a_broken_publish_keeps_the_last_good_evaluation(client: TestClient, store: ObjectStore) -> None:
    store.write_bytes(MODEL_EVALUATION_KEY, published("7").to_json().encode())
    assert eventually(lambda: served(client, "7"))
    evaluation = client.app.state.services.precomputed.evaluation  # type: ignore[attr-defined]
    for broken in (b"{not json", json.dumps({"model": "soccer-1x2", "version": "8"}).encode()):
        store.write_bytes(MODEL_EVALUATION_KEY, broken)
        info = store.info(MODEL_EVALUATION_KEY)
        # Wait until a poll has read and rejected it: only then does "still version 7" prove anything.
        assert eventually(lambda: evaluation.rejected == (info.version, info.size))  # noqa: B023
        assert served(client, "7")
    store.write_bytes(MODEL_EVALUATION_KEY, published("8").to_json().encode())
    assert eventually(lambda: served(client, "8")), "a good publish after a broken one is served again"


def test_a_nan_in_the_report_is_served_as_null(client: TestClient, store: ObjectStore) -> None:
    report = {**REPORT, "comparisons": {"market": {"rps_diff": float("nan"), "lo": None, "hi": None, "n": 0}}}
    payload = published().model_copy(update={"evaluation": EvaluationReport.model_validate(report)})
    store.write_bytes(MODEL_EVALUATION_KEY, payload.to_json().encode())
    body = eventually(lambda: served(client, "7"))
    assert body and body["evaluation"]["comparisons"]["market"]["rps_diff"] is None  # type: ignore[index]
