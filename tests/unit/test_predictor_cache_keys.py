"""Cache keys and values, and the cache with no Redis configured (no server needed)."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from serving.predictor.cache import (
    PredictionCache,
    cache_key,
    decode_probabilities,
    encode_probabilities,
    version_pattern,
)
from soccerpredict.monitoring.metrics import build


def test_key_names_the_match_and_the_model_version() -> None:
    assert cache_key("E0-20240810-arsenal-wolves", "3") == "predict:E0-20240810-arsenal-wolves:3"
    assert version_pattern("3") == "predict:*:3"


def test_glob_characters_in_a_version_are_escaped() -> None:
    assert version_pattern("1*") == r"predict:*:1\*"


def test_values_round_trip_with_named_probabilities() -> None:
    raw = encode_probabilities(np.array([0.5, 0.3, 0.2], dtype=np.float32), "3")
    assert b'"p_home": 0.5' in raw
    assert b'"model_version": "3"' in raw
    np.testing.assert_allclose(decode_probabilities(raw), [0.5, 0.3, 0.2])


@pytest.mark.parametrize("raw", [b"not json", b"{}", b"[1, 2, 3]"])
def test_foreign_values_are_rejected(raw: bytes) -> None:
    with pytest.raises(ValueError, match="not a cached prediction"):
        decode_probabilities(raw)


def test_without_redis_every_lookup_misses_and_nothing_is_counted() -> None:
    metrics = build(CollectorRegistry())
    cache = PredictionCache(None, ttl_seconds=60, metrics=metrics)

    async def scenario() -> list[np.ndarray | None]:
        await cache.set_many({"a": np.zeros(3)}, "1")
        assert await cache.delete_version("1") == 0
        return await cache.get_many(["a"], "1")

    assert not cache.enabled
    assert asyncio.run(scenario()) == [None]
    assert metrics["prediction_cache_errors_total"].labels(service="predictor")._value.get() == 0
