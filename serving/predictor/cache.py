"""The prediction cache: one Redis key per (match id, model version), awaited with ``redis.asyncio``.

Key ``predict:{match_id}:{model_version}``; value a small JSON object with the probabilities under
:data:`~soccerpredict.artifacts.PROBABILITY_COLUMNS` and the model version, e.g.
``{"p_home": 0.45, "p_draw": 0.27, "p_away": 0.28, "model_version": "3"}``; TTL from settings.

The cache is an optimisation, never a dependency: every Redis failure is counted in
``prediction_cache_errors_total`` and turns into a miss. Short socket timeouts, no retries and a
short back-off after a failure keep a dead Redis from costing more than a fraction of a millisecond
per request. Without a Redis URL the cache is disabled (nothing counted: that is a configuration).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np

from soccerpredict.artifacts import PROBABILITY_COLUMNS

__all__ = ["CACHE_SERVICE", "PredictionCache", "cache_key", "decode_probabilities", "encode_probabilities"]

log = logging.getLogger(__name__)

#: The ``service`` label of the cache counters.
CACHE_SERVICE: Final = "predictor"
_KEY_PREFIX: Final = "predict"
_DELETE_BATCH: Final = 500
_GLOB_SPECIAL = re.compile(r"([*?\[\]\\])")


def cache_key(match_id: str, model_version: str) -> str:
    """The Redis key of one cached prediction."""
    return f"{_KEY_PREFIX}:{match_id}:{model_version}"


def version_pattern(model_version: str) -> str:
    """A SCAN pattern matching every cached prediction of one model version."""
    escaped = _GLOB_SPECIAL.sub(r"\\\1", model_version)
    return f"{_KEY_PREFIX}:*:{escaped}"


def encode_probabilities(probabilities: np.ndarray, model_version: str) -> bytes:
    """Serialise one row of [p_home, p_draw, p_away]."""
    payload: dict[str, Any] = {col: float(p) for col, p in zip(PROBABILITY_COLUMNS, probabilities, strict=True)}
    payload["model_version"] = model_version
    return json.dumps(payload).encode()


def decode_probabilities(raw: bytes | str) -> np.ndarray:
    """Parse a cached value back to a float32 row; ValueError when it is not one of ours."""
    try:
        payload = json.loads(raw)
        return np.array([payload[col] for col in PROBABILITY_COLUMNS], dtype=np.float32)
    except (TypeError, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"not a cached prediction: {raw!r}") from exc


class PredictionCache:
    """Async get/set/invalidate of cached predictions, tolerant of a missing or dead Redis."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        ttl_seconds: int,
        metrics: Any,
        timeout: float = 0.25,
        retry_after: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self._metrics = metrics
        self._retry_after = retry_after
        self._clock = clock
        self._down_until = 0.0
        self._redis: Any = None
        if redis_url:
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            # No retries and short timeouts: a miss costs less than waiting for a sick Redis.
            self._redis = Redis.from_url(
                redis_url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 0),
                health_check_interval=0,
            )
        self.url = redis_url

    @property
    def enabled(self) -> bool:
        """Whether a Redis URL is configured."""
        return self._redis is not None

    async def get_many(self, match_ids: Sequence[str], model_version: str) -> list[np.ndarray | None]:
        """Cached probabilities per match id (None for a miss); hits, misses and errors are counted."""
        misses: list[np.ndarray | None] = [None] * len(match_ids)
        if self._redis is None:
            return misses
        if self._is_backing_off():
            self._count("prediction_cache_errors_total")
            return misses
        try:
            raw = await self._redis.mget([cache_key(m, model_version) for m in match_ids])
        except Exception as exc:  # redis errors, OSError, timeouts: all mean "no cache now"
            self._failed("read", exc)
            return misses
        self._recovered()
        found = [self._decode(value) for value in raw]
        hits = sum(row is not None for row in found)
        self._count("prediction_cache_hits_total", hits)
        self._count("prediction_cache_misses_total", len(found) - hits)
        return found

    async def set_many(self, rows: Mapping[str, np.ndarray], model_version: str) -> None:
        """Store probabilities per match id with the TTL; failures are counted, never raised."""
        if self._redis is None or not rows or self._is_backing_off():
            return  # a skipped write after a failed read is the same incident: counted once
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for match_id, proba in rows.items():
                    value = encode_probabilities(proba, model_version)
                    pipe.set(cache_key(match_id, model_version), value, ex=self.ttl_seconds)
                await pipe.execute()
        except Exception as exc:
            self._failed("write", exc)

    async def delete_version(self, model_version: str) -> int:
        """Delete every cached prediction of one model version (SCAN, never KEYS); return how many."""
        if self._redis is None:
            return 0
        deleted = 0
        try:
            batch: list[bytes] = []
            async for key in self._redis.scan_iter(match=version_pattern(model_version), count=1000):
                batch.append(key)
                if len(batch) >= _DELETE_BATCH:
                    deleted += await self._redis.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += await self._redis.unlink(*batch)
        except Exception as exc:
            self._failed("invalidate", exc)
        return deleted

    async def close(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()

    def _decode(self, raw: bytes | None) -> np.ndarray | None:
        if raw is None:
            return None
        try:
            return decode_probabilities(raw)
        except ValueError:
            log.warning("ignoring a malformed cache value: %r", raw[:100])
            return None

    def _is_backing_off(self) -> bool:
        return self._clock() < self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        if not self._down_until:
            name = type(exc).__name__
            log.warning("prediction cache %s failed (%s: %s); serving without cache", operation, name, exc)
        self._down_until = self._clock() + self._retry_after
        self._count("prediction_cache_errors_total")

    def _recovered(self) -> None:
        if self._down_until:
            log.info("prediction cache is back")
            self._down_until = 0.0

    def _count(self, name: str, amount: float = 1) -> None:
        if amount:
            self._metrics[name].labels(service=CACHE_SERVICE).inc(amount)
