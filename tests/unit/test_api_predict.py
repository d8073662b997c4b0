"""GET /predict/{match_id}, /monitoring/model and /health/* against a fake v2 predictor over real HTTP.

Every error has its status and a JSON ``detail``: unknown match 404, predictor down 503, slow 504,
bad match id 422. No Redis here (the cache tests are in tests/service/test_api_cache_redis.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_doubles import FakeV2Predictor, closed_port_url
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from serving.api.app import create_app
from soccerpredict.settings import Settings

KEY = "unit-test-key"
HEADERS = {"X-API-Key": KEY}
MATCH = "E0-20240817-arsenal-wolves"
PROBS = (0.5, 0.25, 0.25)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeV2Predictor]:
    with FakeV2Predictor({MATCH: PROBS}, version="7") as server:
        yield server


def _app(tmp_path: Path, predictor_url: str, registry: CollectorRegistry, timeout: float = 1.0) -> TestClient:
    settings = Settings(
        home=tmp_path / "home",
        store_uri=(tmp_path / "store").as_uri(),
        api_keys=[KEY],
        predictor_url=predictor_url,
        predictor_timeout=timeout,
    )
    return TestClient(create_app(settings, registry=registry))


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def client(tmp_path: Path, fake: FakeV2Predictor, registry: CollectorRegistry) -> Iterator[TestClient]:
    """A facade whose predictor timeout no answer of the fake comes near, however busy the machine."""
    fake.delay, fake.is_ready = 0.0, True
    with _app(tmp_path, fake.url, registry, timeout=30.0) as client:
        yield client


@pytest.fixture
def impatient(tmp_path: Path, fake: FakeV2Predictor) -> Iterator[TestClient]:
    """A facade that waits 0.3 s for the predictor, for the timeout tests (the fake then answers after 3 s)."""
    fake.delay, fake.is_ready = 0.0, True
    with _app(tmp_path, fake.url, CollectorRegistry(), timeout=0.3) as client:
        yield client


@pytest.fixture
def down_registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def down(tmp_path: Path, down_registry: CollectorRegistry) -> Iterator[TestClient]:
    with _app(tmp_path, closed_port_url(), down_registry) as client:
        yield client


def test_prediction_comes_from_the_predictor_with_its_version(client: TestClient) -> None:
    response = client.get(f"/predict/{MATCH}", headers=HEADERS)
    assert response.status_code == 200
    assert response.json() == {
        "match_id": MATCH, "model_version": "7", "p_home": 0.5, "p_draw": 0.25, "p_away": 0.25, "source": "model"
    }  # fmt: skip


def test_unknown_match_is_404_with_detail(client: TestClient) -> None:
    response = client.get("/predict/E0-20240817-nobody-noone", headers=HEADERS)
    assert response.status_code == 404
    assert "unknown match id 'E0-20240817-nobody-noone'" in response.json()["detail"]


def test_predictor_down_is_503_with_detail(down: TestClient, down_registry: CollectorRegistry) -> None:
    response = down.get(f"/predict/{MATCH}", headers=HEADERS)
    assert response.status_code == 503
    assert "unreachable" in response.json()["detail"]
    assert down_registry.get_sample_value("soccerpredict_predictor_errors_total", {"reason": "unreachable"}) >= 1


def test_predictor_timeout_is_504_with_detail(impatient: TestClient, fake: FakeV2Predictor) -> None:
    fake.delay = 3.0
    response = impatient.get(f"/predict/{MATCH}", headers=HEADERS)
    assert response.status_code == 504
    assert response.json() == {"detail": "the predictor did not answer within 0.3 s"}


def test_malformed_match_id_is_422_with_detail(client: TestClient) -> None:
    response = client.get("/predict/not*an*id", headers=HEADERS)
    assert response.status_code == 422
    assert "detail" in response.json()


def test_model_info_comes_from_the_predictor_metadata(client: TestClient) -> None:
    response = client.get("/monitoring/model", headers=HEADERS)
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["version"], body["alias"]) == ("soccer-1x2", "7", "champion")
    assert {t["name"] for t in body["outputs"]} == {"probabilities", "model_version"}


def test_model_info_errors(impatient: TestClient, down: TestClient, fake: FakeV2Predictor) -> None:
    assert down.get("/monitoring/model", headers=HEADERS).status_code == 503
    fake.delay = 3.0
    slow = impatient.get("/monitoring/model", headers=HEADERS)
    assert slow.status_code == 504
    assert "detail" in slow.json()


def test_health(client: TestClient, fake: FakeV2Predictor) -> None:
    assert client.get("/health/live").json() == {"status": "alive"}
    ready = client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"predictor": "ok", "cache": "disabled", "precomputed": "missing"}
    fake.is_ready = False
    not_ready = client.get("/health/ready")
    assert not_ready.status_code == 503
    assert not_ready.json()["detail"] == "predictor: not ready (HTTP 503)"


def test_ready_names_the_unreachable_predictor(down: TestClient) -> None:
    response = down.get("/health/ready")
    assert response.status_code == 503
    assert response.json()["detail"] == "predictor: unreachable"


def test_unexpected_errors_are_json_500(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(match_ids: list[str]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(client.app.state.services.predictor, "infer", broken)  # type: ignore[attr-defined]
    with TestClient(client.app, raise_server_exceptions=False) as plain:
        response = plain.get(f"/predict/{MATCH}", headers=HEADERS)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the facade's log"}


def test_http_metrics_use_route_templates(client: TestClient, registry: CollectorRegistry) -> None:
    client.get(f"/predict/{MATCH}", headers=HEADERS)
    client.get("/predict/E0-20240817-nobody-noone", headers=HEADERS)
    client.get("/no/such/path")
    labels = {"service": "api", "route": "/predict/{match_id}", "method": "GET"}
    assert registry.get_sample_value("soccerpredict_http_requests_total", {**labels, "status": "200"}) == 1
    assert registry.get_sample_value("soccerpredict_http_requests_total", {**labels, "status": "404"}) == 1
    assert registry.get_sample_value("soccerpredict_http_request_duration_seconds_count", labels) == 2
    unmatched = {"service": "api", "route": "<unmatched>", "method": "GET", "status": "404"}
    assert registry.get_sample_value("soccerpredict_http_requests_total", unmatched) == 1
    assert registry.get_sample_value("soccerpredict_predictions_total", {"source": "model"}) == 1
    text = client.get("/metrics").text
    assert "nobody" not in text  # match ids never become label values
    assert 'route="/predict/{match_id}"' in text
    assert "nobody" not in generate_latest(registry).decode()
