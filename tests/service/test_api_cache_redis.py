"""The prediction cache on the real Redis: miss then hit, key format and TTL, version change, Redis down.

Every test uses fresh match ids and model versions so runs sharing the Redis database do not collide.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from api_doubles import FakeV2Predictor, closed_redis_url
from fastapi.testclient import TestClient
from needs import missing
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

KEY = "service-test-key"
HEADERS = {"X-API-Key": KEY}
TTL = 120


@pytest.fixture
def match() -> str:
    return f"T0-20240817-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def fake(match: str) -> Iterator[FakeV2Predictor]:
    with FakeV2Predictor({match: (0.6, 0.25, 0.15)}, version=f"v{uuid.uuid4().hex[:8]}") as server:
        yield server


@pytest.fixture
def db(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.ConnectionError:
        missing(f"no Redis at {redis_url}")
    yield client
    client.close()


def _client(
    tmp_path: Path, predictor_url: str, redis_url: str, registry: CollectorRegistry, local_ttl: float = 5.0
) -> TestClient:
    settings = Settings(
        home=tmp_path / "home",
        store_uri=(tmp_path / "store").as_uri(),
        api_keys=[KEY],
        predictor_url=predictor_url,
        redis_url=redis_url,
        cache_ttl_seconds=TTL,
        cache_local_ttl_seconds=local_ttl,
    )
    return TestClient(create_app(settings, registry=registry))


def test_miss_then_hit(tmp_path: Path, fake: FakeV2Predictor, match: str, redis_url: str, db: redis.Redis) -> None:
    registry = CollectorRegistry()
    with _client(tmp_path, fake.url, redis_url, registry) as client:
        first = client.get(f"/predict/{match}", headers=HEADERS).json()
        second = client.get(f"/predict/{match}", headers=HEADERS).json()
    key = f"predict:{match}:{fake.version}"
    try:
        assert (first["source"], second["source"]) == ("model", "cache")
        assert {k: v for k, v in first.items() if k != "source"} == {k: v for k, v in second.items() if k != "source"}
        assert fake.infer_calls == 1
        assert 0 < db.ttl(key) <= TTL
        assert registry.get_sample_value("soccerpredict_prediction_cache_hits_total", {"service": "api"}) == 1
        assert registry.get_sample_value("soccerpredict_prediction_cache_misses_total", {"service": "api"}) == 1
        assert registry.get_sample_value("soccerpredict_predictions_total", {"source": "cache"}) == 1
    finally:
        db.delete(key)


def test_a_new_model_version_changes_the_key(
    tmp_path: Path, fake: FakeV2Predictor, match: str, redis_url: str, db: redis.Redis
) -> None:
    old = fake.version
    with _client(tmp_path, fake.url, redis_url, CollectorRegistry()) as client:
        assert client.get(f"/predict/{match}", headers=HEADERS).json()["model_version"] == old
        fake.version = f"{old}-next"  # the predictor swapped champions...
        assert client.get("/monitoring/model", headers=HEADERS).json()["version"] == fake.version  # ...and says so
        fresh = client.get(f"/predict/{match}", headers=HEADERS).json()
    try:
        assert (fresh["source"], fresh["model_version"]) == ("model", fake.version)
        assert db.exists(f"predict:{match}:{old}", f"predict:{match}:{fake.version}") == 2
    finally:
        db.delete(f"predict:{match}:{old}", f"predict:{match}:{fake.version}")


def test_values_written_by_the_predictor_are_hits(
    tmp_path: Path, fake: FakeV2Predictor, match: str, redis_url: str, db: redis.Redis
) -> None:
    key = f"predict:{match}:{fake.version}"
    db.set(key, f'{{"p_home": 0.1, "p_draw": 0.2, "p_away": 0.7, "model_version": "{fake.version}"}}', ex=TTL)
    try:
        with _client(tmp_path, fake.url, redis_url, CollectorRegistry()) as client:
            body = client.get(f"/predict/{match}", headers=HEADERS).json()
        assert (body["source"], body["p_away"]) == ("cache", 0.7)
        assert fake.infer_calls == 0
    finally:
        db.delete(key)


def test_redis_down_still_predicts_and_counts_cache_errors(tmp_path: Path, fake: FakeV2Predictor, match: str) -> None:
    registry = CollectorRegistry()
    dead_redis = closed_redis_url()
    with _client(tmp_path, fake.url, dead_redis, registry, local_ttl=0) as client:
        responses = [client.get(f"/predict/{match}", headers=HEADERS) for _ in range(3)]
        ready = client.get("/health/ready").json()
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert {r.json()["source"] for r in responses} == {"model"}
    assert registry.get_sample_value("soccerpredict_prediction_cache_errors_total", {"service": "api"}) >= 3
    assert (ready["status"], ready["checks"]["cache"]) == ("ready", "down")  # Redis is optional for readiness


def test_redis_down_repeats_come_from_the_in_process_tier(tmp_path: Path, fake: FakeV2Predictor, match: str) -> None:
    registry = CollectorRegistry()
    dead_redis = closed_redis_url()
    # A local TTL no busy machine outlasts between three requests (the default 5 s is a race with the clock).
    with _client(tmp_path, fake.url, dead_redis, registry, local_ttl=TTL) as client:
        sources = [client.get(f"/predict/{match}", headers=HEADERS).json()["source"] for _ in range(3)]
    assert sources == ["model", "cache", "cache"]
    assert fake.infer_calls == 1


def test_the_in_process_tier_answers_repeats_without_reading_redis(
    tmp_path: Path, fake: FakeV2Predictor, match: str, redis_url: str, db: redis.Redis
) -> None:
    # When it expires Redis answers again: tests/service/test_prediction_cache_redis.py, on an injected clock.
    key = f"predict:{match}:{fake.version}"
    registry = CollectorRegistry()
    with _client(tmp_path, fake.url, redis_url, registry, local_ttl=TTL) as client:
        assert client.get(f"/predict/{match}", headers=HEADERS).json()["source"] == "model"
        db.set(key, f'{{"p_home": 0.1, "p_draw": 0.2, "p_away": 0.7, "model_version": "{fake.version}"}}', ex=TTL)
        from_memory = client.get(f"/predict/{match}", headers=HEADERS).json()
    try:
        # Redis now holds other numbers: the repeat did not read it.
        assert (from_memory["source"], from_memory["p_away"]) == ("cache", 0.15)
        assert fake.infer_calls == 1
        assert registry.get_sample_value("soccerpredict_prediction_cache_hits_total", {"service": "api"}) == 1
    finally:
        db.delete(key)
