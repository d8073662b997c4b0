"""The KServe predictor of ``soccer-1x2``: v2 inputs in, H/D/A probabilities and the model version out.

The model class only: it follows the champion alias, answers from the Redis cache or the model, and
records the metrics. The v2 schema (inputs, outputs, validation, metadata) is :mod:`serving.predictor.protocol`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

import numpy as np
from kserve import InferResponse, Model
from kserve.errors import InferenceError, ModelNotFound, ModelNotReady
from kserve.model_repository import ModelRepository

from serving.common.cache import PredictionCache
from serving.predictor.champion import Champion, ChampionLoader, ChampionWatcher
from serving.predictor.error_handlers import UnknownMatchIds
from serving.predictor.features import FeatureSnapshot
from serving.predictor.protocol import (
    FeatureRows,
    build_response,
    caller_caches,
    input_types,
    model_metadata,
    output_types,
    parse_request,
)
from soccerpredict.artifacts import MODEL_NAME
from soccerpredict.errors import ModelError, ServingError, UnknownMatchError

__all__ = ["ChampionRepository", "NotReady", "SoccerPredictor"]

log = logging.getLogger(__name__)

#: Up to this many rows run inline on the event loop (well under a millisecond); more go to a thread.
INLINE_ROWS: Final = 64
#: A request that started on the old model may still be writing its cache entry after a swap.
_SWEEP_AGAIN_AFTER_SECONDS: Final = 2.0


class NotReady(ModelNotReady):
    """kserve's ModelNotReady (HTTP 503) with the ``reason`` its gRPC interceptor reads for UNAVAILABLE.

    kserve 0.21's ModelNotReady has no ``reason``; its gRPC interceptor then fails on the attribute and the
    client gets UNKNOWN instead of UNAVAILABLE with the message.
    """

    @property
    def reason(self) -> str:
        return self.error_msg


class SoccerPredictor(Model):
    """Serves the current champion of ``soccer-1x2`` and follows its alias."""

    def __init__(
        self,
        loader: ChampionLoader,
        snapshot: FeatureSnapshot,
        cache: PredictionCache,
        metrics: Any,
        *,
        poll_seconds: float = 60.0,
        name: str = MODEL_NAME,
    ) -> None:
        super().__init__(name)
        self.watcher = ChampionWatcher(loader, metrics=metrics, on_swap=self._after_swap)
        self.snapshot = snapshot
        self.cache = cache
        self.poll_seconds = poll_seconds
        self._metrics = metrics
        self._background: asyncio.Task[None] | None = None
        self._stopped = False
        self._sweeps: set[asyncio.Task[None]] = set()

    # --- lifecycle -------------------------------------------------------------------------------

    def load(self) -> bool:
        """Never blocks: kserve may call this on the event loop; the watcher does the loading."""
        return self.ready

    def start(self) -> None:
        """Nothing to do: readiness comes from the watcher, not from registration."""

    def stop(self) -> None:
        """Stop serving and stop following the alias (kserve calls this on unload and on shutdown)."""
        self._stopped = True
        self.ready = False
        if self._background is not None:
            self._background.cancel()

    async def healthy(self) -> bool:
        """Ready once a champion is loaded."""
        return self.ready

    async def run_background(self) -> None:
        """Load the champion, then poll its alias until stopped (kserve's server awaits this beside uvicorn)."""
        self._background = asyncio.current_task()
        try:
            await self.watcher.watch(self.poll_seconds)
        except asyncio.CancelledError:
            # Cancelled by stop(): return normally so the server's gather() can finish and exit.
            log.info("stopped following the champion alias")

    async def reload(self) -> None:
        """Re-resolve the alias now (the repository load endpoint); raise when no champion can be served."""
        if self._stopped:  # loaded again after an unload: follow the alias again
            self._stopped = False
            self._background = asyncio.create_task(self.run_background())
        await self.watcher.refresh(raise_errors=True)
        self.ready = self.watcher.current is not None

    async def _after_swap(self, old: Champion | None, new: Champion) -> None:
        self.ready = not self._stopped
        if old is None or old.version == new.version:
            return
        await self.cache.delete_version(old.version)
        task = asyncio.create_task(self._sweep_later(old.version))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)

    async def _sweep_later(self, version: str) -> None:
        await asyncio.sleep(_SWEEP_AGAIN_AFTER_SECONDS)
        await self.cache.delete_version(version)

    # --- metadata --------------------------------------------------------------------------------

    def get_input_types(self) -> list[dict[str, Any]]:
        champion = self.watcher.current
        return input_types(champion.n_features if champion else -1)

    def get_output_types(self) -> list[dict[str, Any]]:
        return output_types()

    async def metadata(self) -> dict[str, Any]:
        """The model metadata response (served on ``GET /v2/models/soccer-1x2``)."""
        return model_metadata(self.name, self.watcher.current, self.watcher.reason)

    # --- inference -------------------------------------------------------------------------------

    async def predict(
        self, payload: Any, headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None
    ) -> InferResponse:
        """Probabilities for the request's rows, from the champion held when the request arrived."""
        champion = self.watcher.current  # one read: a swap during this request does not affect it
        if champion is None:
            raise NotReady(self.name, self.watcher.reason)
        parsed = parse_request(payload, champion.feature_names)
        start = time.perf_counter()
        try:
            if isinstance(parsed, FeatureRows):
                proba, source = await self._infer(champion, parsed.values), "model"
            else:
                proba, source = await self._predict_matches(champion, parsed.ids, cached=not caller_caches(payload))
        except UnknownMatchError as exc:
            raise UnknownMatchIds(str(exc), exc.match_ids) from exc
        except (ServingError, ModelError) as exc:
            raise InferenceError(str(exc)) from exc
        self._metrics["prediction_duration_seconds"].labels(source=source).observe(time.perf_counter() - start)
        return build_response(payload, proba, champion.version, self.name)

    async def _predict_matches(
        self, champion: Champion, ids: tuple[str, ...], *, cached: bool
    ) -> tuple[np.ndarray, str]:
        found = await self.cache.get_many(ids, champion.version) if cached else [None] * len(ids)
        todo = list(dict.fromkeys(m for m, row in zip(ids, found, strict=True) if row is None))
        fresh: dict[str, np.ndarray] = {}
        if todo:
            proba = await self._infer(champion, await self.snapshot.features(todo, champion.feature_names))
            fresh = dict(zip(todo, proba, strict=True))
            if cached and self.watcher.current is champion:  # never write entries for a version just swapped out
                await self.cache.set_many(fresh, champion.version)
        hits = len(ids) - sum(row is None for row in found)
        if hits:
            self._metrics["predictions_total"].labels(source="cache").inc(hits)
        pairs = zip(ids, found, strict=True)
        rows = [fresh[m] if row is None else np.asarray(row, dtype=np.float32) for m, row in pairs]
        return np.vstack(rows), "model" if todo else "cache"

    async def _infer(self, champion: Champion, features: np.ndarray) -> np.ndarray:
        try:
            if len(features) <= INLINE_ROWS:
                proba = champion.predict_proba(features)
            else:
                proba = await asyncio.to_thread(champion.predict_proba, features)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"model version {champion.version} failed on {len(features)} row(s): {exc}") from exc
        self._metrics["predictions_total"].labels(source="model").inc(len(features))
        return proba


class ChampionRepository(ModelRepository):
    """kserve's model repository holding the one predictor; ``load`` re-resolves the champion alias.

    ``POST /v2/repository/models/soccer-1x2/load`` lands here (kserve awaits an async ``load``).
    """

    def __init__(self, predictor: SoccerPredictor) -> None:
        super().__init__()
        self.predictor = predictor
        self.update(predictor)

    async def load(self, name: str) -> bool:
        """Swap to the version the alias points at now; raise (HTTP 503 with the reason) when none."""
        if name != self.predictor.name:
            raise ModelNotFound(name)
        if self.get_model(name) is None:  # it was unloaded: serve it again
            self.update(self.predictor)
        await self.predictor.reload()
        return self.predictor.ready
