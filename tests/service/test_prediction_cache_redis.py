"""The prediction cache against the real Redis, alone and inside the predictor; and with Redis down."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import redis
from api_doubles import closed_redis_url
from kserve import InferInput, InferRequest
from prometheus_client import CollectorRegistry
from sklearn.linear_model import LogisticRegression

from serving.common.cache import PredictionCache, cache_key
from serving.predictor.champion import Champion
from serving.predictor.features import FeatureSnapshot
from serving.predictor.model import SoccerPredictor
from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.metrics import Metrics, build

pytestmark = pytest.mark.service

FEATURES = ("elo_diff", "form_home", "form_away", "rest_diff")


@pytest.fixture
def tag() -> str:
    """A unique prefix for this test's match ids and model versions: the Redis database is shared."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def client(redis_url: str, tag: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    keys = list(conn.scan_iter(match=f"predict:*{tag}*", count=1000))
    if keys:
        conn.delete(*keys)
    conn.close()


@pytest.fixture
def metrics() -> Metrics:
    return build(CollectorRegistry())


def counter(metrics: Metrics, name: str) -> float:
    return float(metrics[name].labels(service="predictor")._value.get())


class FixedLoader:
    """A registry that always answers with one small logistic regression."""

    uri = "models:/soccer-1x2@champion"

    def __init__(self, version: str) -> None:
        rng = np.random.default_rng(0)
        x = rng.normal(size=(120, len(FEATURES)))
        self.version = version
        self.estimator = LogisticRegression().fit(x, rng.integers(0, 3, 120))

    def resolve(self) -> str:
        return self.version

    def load(self, version: str) -> Champion:
        return Champion(version, FEATURES, self.estimator)


def build_predictor(tmp_path: Path, tag: str, redis_url: str | None, metrics: Metrics) -> SoccerPredictor:
    store = ObjectStore(tmp_path.as_uri())
    snapshot = pd.DataFrame(np.arange(12, dtype=float).reshape(3, 4) / 10, columns=list(FEATURES))
    snapshot.insert(0, "match_id", [f"{tag}-m{i}" for i in range(3)])
    store.write_parquet(MATCH_FEATURES_KEY, snapshot)
    cache = PredictionCache(redis_url, ttl_seconds=300, metrics=metrics, service="predictor")
    return SoccerPredictor(FixedLoader(f"{tag}v1"), FeatureSnapshot(store), cache, metrics)


def match_request(*ids: str) -> InferRequest:
    return InferRequest(
        model_name="soccer-1x2",
        infer_inputs=[InferInput(name="match_id", shape=[len(ids)], datatype="BYTES", data=list(ids))],
        request_id="r",
    )


def test_the_in_process_tier_answers_until_its_ttl_then_redis_does(
    redis_url: str, client: redis.Redis, metrics: Metrics, tag: str
) -> None:
    now = [1000.0]
    cache = PredictionCache(
        redis_url, ttl_seconds=120, metrics=metrics, service="predictor", local_ttl_seconds=5, clock=lambda: now[0]
    )
    key = cache_key(f"{tag}a", "v1")

    async def scenario() -> list[Any]:
        await cache.set_many({f"{tag}a": [0.5, 0.3, 0.2]}, "v1")
        client.set(key, client.get(key).replace(b"0.5", b"0.6").replace(b"0.3", b"0.2"))  # Redis now says otherwise
        seen = [await cache.get(f"{tag}a", "v1")]
        now[0] += 4.9  # still within the local TTL: memory answers
        seen.append(await cache.get(f"{tag}a", "v1"))
        now[0] += 0.2  # past it: Redis answers
        seen.append(await cache.get(f"{tag}a", "v1"))
        await cache.aclose()
        return seen

    first, within, after = asyncio.run(scenario())
    assert first is not None and within is not None and after is not None
    assert (first[0], within[0], after[0]) == pytest.approx((0.5, 0.5, 0.6))


def test_miss_then_hit_with_the_ttl_set(redis_url: str, client: redis.Redis, metrics: Metrics, tag: str) -> None:
    cache = PredictionCache(redis_url, ttl_seconds=120, metrics=metrics, service="predictor")
    proba = np.array([0.5, 0.3, 0.2], dtype=np.float32)

    async def scenario() -> tuple[list[np.ndarray | None], list[np.ndarray | None]]:
        before = await cache.get_many([f"{tag}a", f"{tag}b"], "v1")
        await cache.set_many({f"{tag}a": proba}, "v1")
        after = await cache.get_many([f"{tag}a", f"{tag}b"], "v1")
        await cache.close()
        return before, after

    before, after = asyncio.run(scenario())
    assert before == [None, None]
    assert after[1] is None
    assert after[0] is not None
    np.testing.assert_allclose(after[0], proba)
    assert 0 < client.ttl(cache_key(f"{tag}a", "v1")) <= 120
    assert (counter(metrics, "prediction_cache_hits_total"), counter(metrics, "prediction_cache_misses_total")) == (
        1,
        3,
    )
    assert counter(metrics, "prediction_cache_errors_total") == 0


def test_deleting_a_version_removes_only_its_keys(
    redis_url: str, client: redis.Redis, metrics: Metrics, tag: str
) -> None:
    cache = PredictionCache(redis_url, ttl_seconds=120, metrics=metrics, service="predictor")
    old, new = f"{tag}-1", f"{tag}-2"
    row = np.full(3, 1 / 3, dtype=np.float32)

    async def scenario() -> int:
        await cache.set_many({f"{tag}m{i}": row for i in range(1203)}, old)  # more than one delete batch
        await cache.set_many({f"{tag}m0": row}, new)
        deleted = await cache.delete_version(old)
        await cache.close()
        return deleted

    assert asyncio.run(scenario()) == 1203
    assert list(client.scan_iter(match=f"predict:*:{old}", count=1000)) == []
    assert client.exists(cache_key(f"{tag}m0", new))


def test_the_predictor_serves_repeated_match_ids_from_redis(
    tmp_path: Path, redis_url: str, client: redis.Redis, metrics: Metrics, tag: str
) -> None:
    predictor = build_predictor(tmp_path, tag, redis_url, metrics)
    ids = (f"{tag}-m0", f"{tag}-m2")

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        await predictor.watcher.refresh()
        first = (await predictor.predict(match_request(*ids))).to_rest()[0]
        second = (await predictor.predict(match_request(*ids))).to_rest()[0]
        await predictor.cache.close()
        return first, second

    first, second = asyncio.run(scenario())
    assert first["outputs"][0]["data"] == pytest.approx(second["outputs"][0]["data"], abs=1e-6)
    assert first["outputs"][1]["data"] == [f"{tag}v1"] * 2
    assert all(client.ttl(cache_key(m, f"{tag}v1")) > 0 for m in ids)
    assert (counter(metrics, "prediction_cache_misses_total"), counter(metrics, "prediction_cache_hits_total")) == (
        2,
        2,
    )
    assert metrics["predictions_total"].labels(source="cache")._value.get() == 2
    assert metrics["predictions_total"].labels(source="model")._value.get() == 2


def test_with_redis_down_predictions_still_work_and_errors_are_counted(
    tmp_path: Path, metrics: Metrics, tag: str
) -> None:
    predictor = build_predictor(tmp_path, tag, closed_redis_url(), metrics)

    async def scenario() -> list[dict[str, Any]]:
        await predictor.watcher.refresh()
        bodies = []
        for _ in range(3):
            response = await predictor.predict(match_request(f"{tag}-m1"))
            bodies.append(response.to_rest()[0])
        return bodies

    bodies = asyncio.run(scenario())
    assert all(len(b["outputs"][0]["data"]) == 3 for b in bodies)
    assert counter(metrics, "prediction_cache_errors_total") >= 1
    assert counter(metrics, "prediction_cache_hits_total") == 0
