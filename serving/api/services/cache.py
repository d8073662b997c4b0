"""Redis cache of predictions, keyed ``predict:{match_id}:{model_version}`` (DESIGN.md section 5).

The predictor caches under the same keys with the same value format, so a prediction computed by
either is a hit for both, and the predictor's deletion of an old version's keys clears ours too.

The cache is an optimisation, never a dependency: any Redis failure counts in
``prediction_cache_errors_total`` and behaves as a miss, and after a failure Redis is left alone
for a short back-off so a dead server does not add a connect attempt to every request.

In front of Redis sits a small in-process tier (``local_ttl_seconds``, ``SOCCER_CACHE_LOCAL_TTL_SECONDS``;
0 turns it off): a Redis round trip from asyncio costs about 0.2 ms, more than the rest of a cache hit, so
a match asked for again within a few seconds is answered from memory. Entries are keyed by match and
model version like Redis's, so a champion swap never serves the old version's entries; the only cost is
that an entry deleted from Redis can be served from memory for at most ``local_ttl_seconds`` more.
Hits of either tier count in ``prediction_cache_hits_total``.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any, Final

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from soccerpredict.artifacts import PROBABILITY_COLUMNS

__all__ = ["KEY_PREFIX", "PredictionCache", "cache_key", "decode_value", "encode_value"]

log = logging.getLogger(__name__)

KEY_PREFIX: Final = "predict"
Probabilities = tuple[float, float, float]


def cache_key(match_id: str, model_version: str) -> str:
    """The one cache key format shared by the facade, the predictor and the workers."""
    return f"{KEY_PREFIX}:{match_id}:{model_version}"


def encode_value(probabilities: Probabilities, model_version: str) -> bytes:
    """What the facade stores under a key: the predictor's format, so either side reads the other's entries."""
    payload: dict[str, Any] = dict(zip(PROBABILITY_COLUMNS, (float(p) for p in probabilities), strict=True))
    payload["model_version"] = model_version
    return json.dumps(payload).encode()


def decode_value(raw: bytes | str) -> Probabilities | None:
    """Probabilities from a cached value; None when the value is not one we understand.

    The format is ``{"p_home": …, "p_draw": …, "p_away": …, "model_version": …}`` (what the predictor
    writes too); ``{"probabilities": [h, d, a]}`` and a bare ``[h, d, a]`` are read as well.
    """
    try:
        value: Any = json.loads(raw)
        if isinstance(value, dict):
            value = value.get("probabilities") or [value[column] for column in PROBABILITY_COLUMNS]
        if isinstance(value, list) and value and isinstance(value[0], list):
            value = value[0]
        home, draw, away = (float(x) for x in value)
    except (ValueError, TypeError, KeyError):
        return None
    return home, draw, away


class PredictionCache:
    """Get and set predictions; never raises."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        ttl_seconds: int,
        metrics: Any,
        service: str = "api",
        socket_timeout: float = 0.25,
        backoff_seconds: float = 1.0,
        local_ttl_seconds: float = 0.0,
        local_max_entries: int = 10_000,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        # Never longer than Redis keeps the entry.
        local_ttl = min(local_ttl_seconds, ttl_seconds)
        self._local: TTLCache[tuple[str, str], Probabilities] | None = (
            TTLCache(maxsize=local_max_entries, ttl=local_ttl) if local_ttl > 0 else None
        )
        self._backoff = backoff_seconds
        self._down_until = 0.0
        self._hits = metrics["prediction_cache_hits_total"].labels(service=service)
        self._misses = metrics["prediction_cache_misses_total"].labels(service=service)
        self._errors = metrics["prediction_cache_errors_total"].labels(service=service)
        self._redis: Redis | None = None
        if redis_url:
            # One quick retry covers a pooled connection that died with a Redis restart; no more, the
            # request is waiting. Short socket timeouts keep a hung Redis from delaying predictions.
            self._redis = Redis.from_url(
                redis_url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry=Retry(NoBackoff(), 1),
                health_check_interval=0,
            )

    @property
    def enabled(self) -> bool:
        """Whether a Redis URL is configured."""
        return self._redis is not None

    async def get(self, match_id: str, model_version: str) -> Probabilities | None:
        """Cached probabilities, or None on a miss, when disabled or when Redis fails."""
        if self._redis is None:
            return None
        if self._local is not None:
            local = self._local.get((match_id, model_version))
            if local is not None:
                self._hits.inc()
                return local
        if self._backing_off():
            self._errors.inc()  # this request could not use the cache: that is what the counter means
            return None
        try:
            raw = await self._redis.get(cache_key(match_id, model_version))
        except (RedisError, OSError) as exc:
            self._failed("get", exc)
            return None
        found = decode_value(raw) if raw is not None else None
        (self._hits if found is not None else self._misses).inc()
        if found is not None:
            self._remember(match_id, model_version, found)
        return found

    async def set(self, match_id: str, model_version: str, probabilities: Probabilities) -> None:
        """Store probabilities with the configured TTL (best effort)."""
        if self._redis is None:
            return
        self._remember(match_id, model_version, probabilities)
        if self._backing_off():
            return
        try:
            value = encode_value(probabilities, model_version)
            await self._redis.set(cache_key(match_id, model_version), value, ex=self.ttl_seconds)
        except (RedisError, OSError) as exc:
            self._failed("set", exc)

    async def ping(self) -> str:
        """'ok', 'disabled' or 'down' (for the readiness report)."""
        if self._redis is None:
            return "disabled"
        try:
            await self._redis.ping()
        except (RedisError, OSError):
            return "down"
        return "ok"

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()

    def _remember(self, match_id: str, model_version: str, probabilities: Probabilities) -> None:
        if self._local is not None:
            self._local[(match_id, model_version)] = probabilities

    def _backing_off(self) -> bool:
        return time.monotonic() < self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        self._errors.inc()
        self._down_until = time.monotonic() + self._backoff
        log.warning("prediction cache %s failed, serving without cache for %.1f s: %s", operation, self._backoff, exc)
