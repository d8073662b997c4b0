"""The prediction cache: one Redis key per (match id, model version), for the facade, the predictor and the workers.

Key ``predict:{match_id}:{model_version}`` (DESIGN.md section 5); value a small JSON object with the
probabilities under :data:`~soccerpredict.artifacts.PROBABILITY_COLUMNS` and the model version, e.g.
``{"p_home": 0.45, "p_draw": 0.27, "p_away": 0.28, "model_version": "3"}``; TTL from settings. Whoever writes
an entry, every reader finds it, and the predictor's deletion of an old version's keys clears them for all.

Each request has one cache owner: the facade for its synchronous predictions (it asks the predictor with the
v2 request parameter ``cache = "caller"``, see :data:`CACHE_PARAMETER`), the predictor for every other client.

The cache is an optimisation, never a dependency: any Redis failure counts in
``soccerpredict_prediction_cache_errors_total`` and behaves as a miss, and after a failure Redis is left
alone for a short back-off so a dead server does not add a connect attempt to every request. Without a Redis
URL the cache is disabled (nothing counted: that is a configuration).
Counters carry the ``service`` label of their owner.

In front of Redis an optional in-process tier (``local_ttl_seconds``; 0 turns it off, the facade sets it
from ``SOCCER_CACHE_LOCAL_TTL_SECONDS``): a Redis round trip from asyncio costs about 0.2 ms, more than the
rest of a cache hit, so a match asked for again within a few seconds is answered from memory. Entries are
keyed by match and model version like Redis's, so a champion swap never serves the old version's entries;
the only cost is that an entry deleted from Redis can be served from memory for at most
``local_ttl_seconds`` more. Hits of either tier count in ``soccerpredict_prediction_cache_hits_total``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final

from cachetools import TTLCache
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from soccerpredict.artifacts import PROBABILITY_COLUMNS

__all__ = [
    "CACHE_BY_CALLER",
    "CACHE_BY_PREDICTOR",
    "CACHE_PARAMETER",
    "KEY_PREFIX",
    "PredictionCache",
    "Probabilities",
    "cache_key",
    "decode_value",
    "delete_cached",
    "encode_value",
    "glob_escape",
    "invalidation_patterns",
    "version_pattern",
]

log = logging.getLogger(__name__)

KEY_PREFIX: Final = "predict"
#: The v2 request parameter naming who caches the request's predictions. ``"caller"``: the client does (the
#: facade, which reads and writes the cache itself), so the predictor neither reads nor writes it for that
#: request; absent or ``"predictor"``: the predictor does (workers, stock v2 clients).
CACHE_PARAMETER: Final = "cache"
CACHE_BY_CALLER: Final = "caller"
CACHE_BY_PREDICTOR: Final = "predictor"
Probabilities = tuple[float, float, float]
_DELETE_BATCH: Final = 500
_SCAN_COUNT: Final = 1000
_GLOB_SPECIAL: Final = re.compile(r"([*?\[\]\\])")
_ERRORS: Final = (RedisError, OSError)


def cache_key(match_id: str, model_version: str) -> str:
    """The Redis key of one cached prediction."""
    return f"{KEY_PREFIX}:{match_id}:{model_version}"


def glob_escape(text: str) -> str:
    """``text`` with the SCAN glob characters (``* ? [ ] \\``) escaped, so it matches only itself."""
    return _GLOB_SPECIAL.sub(r"\\\1", text)


def version_pattern(model_version: str | None) -> str:
    """A SCAN pattern matching every cached prediction of one model version (of every version: None)."""
    return f"{KEY_PREFIX}:*:{glob_escape(model_version) if model_version else '*'}"


def invalidation_patterns(match_ids: Sequence[str] | None, model_version: str | None) -> list[str]:
    """SCAN patterns of the entries of these matches and/or this version (neither: every entry)."""
    if not match_ids:
        return [version_pattern(model_version)]
    version = glob_escape(model_version) if model_version else "*"
    return [cache_key(glob_escape(str(m)), version) for m in match_ids]


def encode_value(probabilities: Iterable[float], model_version: str) -> bytes:
    """The stored value of one prediction (home, draw, away)."""
    payload: dict[str, Any] = dict(zip(PROBABILITY_COLUMNS, (float(p) for p in probabilities), strict=True))
    payload["model_version"] = model_version
    return json.dumps(payload).encode()


def decode_value(raw: bytes | str) -> Probabilities | None:
    """Probabilities from a cached value; None when the value is not one we understand.

    The format is :func:`encode_value`'s; the older ``{"probabilities": [h, d, a]}`` and bare ``[h, d, a]``
    (or ``[[h, d, a]]``) are read as well.
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


def delete_cached(redis_url: str, match_ids: Sequence[str] | None, model_version: str | None) -> int:
    """Blocking delete of the entries :func:`invalidation_patterns` names (for sync Celery tasks); how many."""
    from redis import Redis as SyncRedis

    deleted = 0
    with SyncRedis.from_url(redis_url, socket_timeout=5.0) as redis:
        for pattern in invalidation_patterns(match_ids, model_version):
            # SCAN, not KEYS: KEYS blocks Redis while it walks the whole keyspace.
            batch = list(redis.scan_iter(match=pattern, count=_SCAN_COUNT))
            for start in range(0, len(batch), _DELETE_BATCH):
                deleted += int(redis.unlink(*batch[start : start + _DELETE_BATCH]))
    return deleted


class PredictionCache:
    """Async get/set/delete of cached predictions; never raises, whatever Redis does."""

    def __init__(
        self,
        redis_url: str | None,
        *,
        ttl_seconds: int,
        metrics: Any,
        service: str,
        socket_timeout: float = 0.25,
        backoff_seconds: float = 1.0,
        local_ttl_seconds: float = 0.0,
        local_max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.service = service
        local_ttl = min(local_ttl_seconds, ttl_seconds)  # never longer than Redis keeps the entry
        self._local: TTLCache[tuple[str, str], Probabilities] | None = (
            TTLCache(maxsize=local_max_entries, ttl=local_ttl, timer=clock) if local_ttl > 0 else None
        )
        self._backoff = backoff_seconds
        self._clock = clock
        self._down_until = 0.0
        self._hits = metrics["prediction_cache_hits_total"].labels(service=service)
        self._misses = metrics["prediction_cache_misses_total"].labels(service=service)
        self._errors = metrics["prediction_cache_errors_total"].labels(service=service)
        self._redis: Redis | None = None
        if redis_url:
            # One quick retry covers a pooled connection that died with a Redis restart; no more, a request is
            # waiting. Short socket timeouts keep a hung Redis from delaying predictions.
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
        """Cached probabilities of one match, or None (miss, disabled, Redis failing)."""
        return (await self.get_many([match_id], model_version))[0]

    async def set(self, match_id: str, model_version: str, probabilities: Iterable[float]) -> None:
        """Store one match's probabilities with the TTL (best effort)."""
        await self.set_many({match_id: probabilities}, model_version)

    async def get_many(self, match_ids: Sequence[str], model_version: str) -> list[Probabilities | None]:
        """Cached probabilities per match id (None for a miss), in one MGET; hits, misses and errors counted."""
        found: list[Probabilities | None] = [None] * len(match_ids)
        if self._redis is None or not match_ids:
            return found
        if self._local is not None:
            found = [self._local.get((m, model_version)) for m in match_ids]
        ask = [i for i, row in enumerate(found) if row is None]
        self._hits.inc(len(found) - len(ask))
        if not ask:
            return found
        if self._backing_off():
            self._errors.inc()  # this request could not use Redis: that is what the counter means
            return found
        try:
            raw = await self._redis.mget([cache_key(match_ids[i], model_version) for i in ask])
        except _ERRORS as exc:
            self._failed("read", exc)
            return found
        self._recovered()
        for i, value in zip(ask, raw, strict=True):
            found[i] = self._decode(value)
        hits = sum(found[i] is not None for i in ask)
        self._hits.inc(hits)
        self._misses.inc(len(ask) - hits)
        for i in ask:
            if (row := found[i]) is not None:
                self._remember(match_ids[i], model_version, row)
        return found

    async def set_many(self, rows: Mapping[str, Iterable[float]], model_version: str) -> None:
        """Store probabilities per match id with the TTL, in one pipeline; failures counted, never raised."""
        if self._redis is None or not rows:
            return
        for match_id, probabilities in rows.items():
            self._remember(match_id, model_version, probabilities)
        if self._backing_off():
            return  # a skipped write after a failed read is the same incident: counted once
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for match_id, probabilities in rows.items():
                    value = encode_value(probabilities, model_version)
                    pipe.set(cache_key(match_id, model_version), value, ex=self.ttl_seconds)
                await pipe.execute()
        except _ERRORS as exc:
            self._failed("write", exc)

    async def delete_version(self, model_version: str) -> int:
        """Delete every cached prediction of one model version (SCAN and UNLINK, never KEYS); return how many."""
        if self._local is not None:
            for key in [k for k in self._local if k[1] == model_version]:
                self._local.pop(key, None)
        if self._redis is None:
            return 0
        deleted = 0
        try:
            batch: list[bytes] = []
            async for key in self._redis.scan_iter(match=version_pattern(model_version), count=_SCAN_COUNT):
                batch.append(key)
                if len(batch) >= _DELETE_BATCH:
                    deleted += await self._redis.unlink(*batch)
                    batch.clear()
            if batch:
                deleted += await self._redis.unlink(*batch)
        except _ERRORS as exc:
            self._failed("invalidate", exc)
        return deleted

    async def ping(self) -> str:
        """'ok', 'disabled' or 'down' (for the readiness report)."""
        if self._redis is None:
            return "disabled"
        try:
            await self._redis.ping()
        except _ERRORS:
            return "down"
        return "ok"

    async def aclose(self) -> None:
        """Close the connection pool."""
        if self._redis is not None:
            await self._redis.aclose()

    close = aclose

    def _remember(self, match_id: str, model_version: str, probabilities: Iterable[float]) -> None:
        if self._local is not None:
            home, draw, away = (float(p) for p in probabilities)
            self._local[(match_id, model_version)] = (home, draw, away)

    def _decode(self, raw: bytes | str | None) -> Probabilities | None:
        if raw is None:
            return None
        found = decode_value(raw)
        if found is None:
            log.warning("ignoring a malformed cache value: %r", raw[:100])
        return found

    def _backing_off(self) -> bool:
        return self._clock() < self._down_until

    def _failed(self, operation: str, exc: Exception) -> None:
        if not self._down_until:
            log.warning(
                "prediction cache %s failed (%s: %s); serving without cache, retrying Redis after %.1f s",
                operation,
                type(exc).__name__,
                exc,
                self._backoff,
            )
        self._errors.inc()
        self._down_until = self._clock() + self._backoff

    def _recovered(self) -> None:
        if self._down_until:
            log.info("prediction cache is back")
            self._down_until = 0.0
