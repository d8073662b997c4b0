"""The one prediction cache (serving/common/cache.py): keys, patterns, values, and the cache without Redis."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
from api_doubles import closed_redis_url
from prometheus_client import CollectorRegistry

from serving.common.cache import (
    PredictionCache,
    cache_key,
    decode_value,
    encode_value,
    invalidation_patterns,
    version_pattern,
)
from soccerpredict.monitoring.metrics import build


def test_key_names_the_match_and_the_model_version() -> None:
    assert cache_key("E0-20240810-arsenal-wolves", "3") == "predict:E0-20240810-arsenal-wolves:3"
    assert cache_key("E0-1", "7") == "predict:E0-1:7"
    assert version_pattern("3") == "predict:*:3"


def test_glob_characters_in_a_version_are_escaped() -> None:
    assert version_pattern("1*") == r"predict:*:1\*"
    assert version_pattern("a?[b]\\") == r"predict:*:a\?\[b\]\\"


def test_invalidation_patterns_escape_match_ids_and_default_to_every_version() -> None:
    assert invalidation_patterns(None, None) == ["predict:*:*"]
    assert invalidation_patterns([], "3") == ["predict:*:3"]
    assert invalidation_patterns(["E0-1", "a*"], None) == ["predict:E0-1:*", r"predict:a\*:*"]
    assert invalidation_patterns(["E0-1"], "v[1]") == [r"predict:E0-1:v\[1\]"]


def test_values_round_trip_with_named_probabilities() -> None:
    raw = encode_value(np.array([0.5, 0.3, 0.2], dtype=np.float32), "3")
    assert b'"p_home": 0.5' in raw
    assert b'"model_version": "3"' in raw
    np.testing.assert_allclose(decode_value(raw) or (), [0.5, 0.3, 0.2])
    assert json.loads(encode_value((0.5, 0.3, 0.2), "7")) == {
        "p_home": 0.5,
        "p_draw": 0.3,
        "p_away": 0.2,
        "model_version": "7",
    }
    assert decode_value(encode_value((0.5, 0.3, 0.2), "7")) == (0.5, 0.3, 0.2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[0.1, 0.2, 0.7]", (0.1, 0.2, 0.7)),
        (b"[[0.1, 0.2, 0.7]]", (0.1, 0.2, 0.7)),
        (b'{"probabilities": [0.1, 0.2, 0.7]}', (0.1, 0.2, 0.7)),
        (b'{"p_home": 0.1, "p_draw": 0.2, "p_away": 0.7}', (0.1, 0.2, 0.7)),
        ("[1, 2, 3]", (1.0, 2.0, 3.0)),
    ],
)
def test_older_value_forms_are_still_read(raw: bytes | str, expected: tuple[float, float, float]) -> None:
    assert decode_value(raw) == expected


@pytest.mark.parametrize("raw", [b"not json", b"garbage", b"{}", b'{"probabilities": [1, 2]}', b"[]", b"null"])
def test_foreign_values_are_rejected(raw: bytes) -> None:
    assert decode_value(raw) is None


@pytest.mark.parametrize("service", ["predictor", "api"])
def test_without_redis_every_lookup_misses_and_nothing_is_counted(service: str) -> None:
    metrics = build(CollectorRegistry())
    cache = PredictionCache(None, ttl_seconds=60, metrics=metrics, service=service, local_ttl_seconds=5)

    async def scenario() -> tuple[list[object], object, str]:
        await cache.set_many({"a": np.zeros(3)}, "1")
        await cache.set("b", "1", (0.2, 0.3, 0.5))
        assert await cache.delete_version("1") == 0
        return await cache.get_many(["a", "b"], "1"), await cache.get("b", "1"), await cache.ping()

    assert not cache.enabled
    assert asyncio.run(scenario()) == ([None, None], None, "disabled")
    for name in ("prediction_cache_errors_total", "prediction_cache_hits_total", "prediction_cache_misses_total"):
        assert metrics[name].labels(service=service)._value.get() == 0


def test_a_failure_backs_off_and_each_request_during_it_counts_one_error() -> None:
    metrics = build(CollectorRegistry())
    now = [100.0]
    cache = PredictionCache(
        closed_redis_url(),
        ttl_seconds=60,
        metrics=metrics,
        service="api",
        backoff_seconds=2.0,
        clock=lambda: now[0],
    )

    async def scenario() -> list[object]:
        first = await cache.get_many(["a", "b"], "1")  # fails: starts the back-off
        await cache.set("a", "1", (0.2, 0.3, 0.5))  # skipped: the same incident, not counted again
        second = await cache.get("a", "1")  # backing off: no connect attempt, one error
        now[0] += 2.5
        third = await cache.get("a", "1")  # back-off over: tries Redis again, fails again
        await cache.aclose()
        return [first, second, third, await cache.ping()]

    assert asyncio.run(scenario()) == [[None, None], None, None, "down"]
    assert metrics["prediction_cache_errors_total"].labels(service="api")._value.get() == 3
    assert metrics["prediction_cache_misses_total"].labels(service="api")._value.get() == 0


def test_the_in_process_tier_answers_what_was_set_even_with_redis_down() -> None:
    metrics = build(CollectorRegistry())
    cache = PredictionCache(
        closed_redis_url(),
        ttl_seconds=60,
        metrics=metrics,
        service="api",
        local_ttl_seconds=5,
        clock=lambda: 100.0,  # time stands still: the entries cannot expire however slow the steps are
    )

    async def scenario() -> list[object]:
        await cache.set_many({"a": np.array([0.2, 0.3, 0.5])}, "1")
        found = [await cache.get_many(["a", "b"], "1"), await cache.get("a", "2")]
        assert await cache.delete_version("1") == 0  # Redis is down; the local entries of version 1 go anyway
        found.append(await cache.get("a", "1"))
        return found

    assert asyncio.run(scenario()) == [[(0.2, 0.3, 0.5), None], None, None]
    assert metrics["prediction_cache_hits_total"].labels(service="api")._value.get() == 1
