"""Natural batching of the facade's cache misses: concurrent single-match requests share one predictor call.

A cache miss costs a v2 ``infer`` round trip, and on a busy facade most of that cost is per call (HTTP,
KServe's request handling), not per row. :class:`MissBatcher` keeps at most ``max_in_flight`` calls open to
the predictor; misses that arrive while they are busy wait, and the next free call takes all of them (up to
``max_batch``) as one ``match_id`` request of n rows. Nothing waits for a timer: at low load every miss is
sent at once, alone, exactly as without batching; batches form only when misses queue up anyway.

Per-match outcomes stay per match: an unknown match id makes the predictor refuse the whole batch (HTTP 400),
so a refused batch is retried one match per call and only the unknown id gets its 404. A request waits at
most ``timeout`` seconds in all (queue included), then gets the predictor timeout (504).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from serving.common.v2_client import (
    InferResult,
    Predictor,
    PredictorTimeoutError,
    Probabilities,
)
from soccerpredict.errors import UnknownMatchError

__all__ = ["DEFAULT_MAX_BATCH", "DEFAULT_MAX_IN_FLIGHT", "MissBatcher"]

log = logging.getLogger(__name__)

DEFAULT_MAX_BATCH: Final = 32
DEFAULT_MAX_IN_FLIGHT: Final = 2

_Waiter = tuple[str, "asyncio.Future[tuple[str, Probabilities]]"]


class MissBatcher:
    """Predict single matches through a :class:`Predictor`, batching the ones that arrive together.

    Args:
        predictor: where the probabilities come from.
        timeout: seconds one request may wait in all, queue included.
        max_batch: most match ids in one call (1: no batching, one call per miss).
        max_in_flight: most predictor calls open at once.
        metrics: the facade's metrics (``soccerpredict_predictor_batch_rows`` is observed per call) or None.
    """

    def __init__(
        self,
        predictor: Predictor,
        *,
        timeout: float,
        max_batch: int = DEFAULT_MAX_BATCH,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        metrics: Any = None,
    ) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError(f"max_batch and max_in_flight must be at least 1, got {max_batch}, {max_in_flight}")
        self.predictor = predictor
        self.timeout = timeout
        self.max_batch = max_batch
        self.max_in_flight = max_in_flight
        self._metrics = metrics
        self._pending: list[_Waiter] = []
        self._in_flight = 0
        self._tasks: set[asyncio.Task[None]] = set()

    async def predict(self, match_id: str) -> tuple[str, Probabilities]:
        """``(model_version, (home, draw, away))`` for one match.

        Raises what the predictor client raises for this match: UnknownMatchError, PredictorTimeoutError,
        PredictorUnavailableError.
        """
        future: asyncio.Future[tuple[str, Probabilities]] = asyncio.get_running_loop().create_future()
        self._pending.append((match_id, future))
        if self._in_flight < self.max_in_flight:
            self._start_call()
        try:
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError as exc:
            raise PredictorTimeoutError.after(self.timeout) from exc

    def _start_call(self) -> None:
        batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
        self._in_flight += 1
        task = asyncio.create_task(self._call(batch))
        self._tasks.add(task)  # a reference, so the task is not collected while it runs
        task.add_done_callback(self._tasks.discard)

    async def _call(self, batch: list[_Waiter]) -> None:
        try:
            await self._resolve(batch)
        finally:
            self._in_flight -= 1
            # Whatever queued meanwhile leaves now, as one call (or more, past max_batch or in-flight room).
            while self._pending and self._in_flight < self.max_in_flight:
                self._start_call()

    async def _resolve(self, batch: list[_Waiter]) -> None:
        waiting = [(match_id, future) for match_id, future in batch if not future.done()]  # gave up: skip
        ids = list(dict.fromkeys(match_id for match_id, _ in waiting))  # the same match twice: one row
        if not ids:
            return
        try:
            result = await self.predictor.infer(ids)
        except UnknownMatchError as exc:
            named = set(exc.match_ids) & set(ids)
            if len(ids) > 1 and named and len(named) < len(ids):
                # The predictor named the unknown ids: they fail, the others are asked again in one call.
                _fail([w for w in waiting if w[0] in named], exc)
                await self._resolve([w for w in waiting if w[0] not in named])
                return
            if len(ids) > 1 and not named:  # which id is unknown: ask for each alone, the others still get answers
                log.info("predictor refused a batch of %d match ids; retrying them one by one", len(ids))
                by_id: dict[str, list[_Waiter]] = {}
                for waiter in waiting:
                    by_id.setdefault(waiter[0], []).append(waiter)
                await asyncio.gather(*(self._resolve(group) for group in by_id.values()))
                return
            _fail(waiting, exc)
            return
        except Exception as exc:  # every waiter of a failed call gets that failure
            _fail(waiting, exc)
            return
        self._observe(len(ids))
        _deliver(waiting, ids, result)

    def _observe(self, rows: int) -> None:
        if self._metrics is not None:
            self._metrics["predictor_batch_rows"].observe(rows)


def _deliver(waiting: list[_Waiter], ids: list[str], result: InferResult) -> None:
    probabilities = dict(zip(ids, result.probabilities, strict=True))
    for match_id, future in waiting:
        if not future.done():
            future.set_result((result.model_version, probabilities[match_id]))


def _fail(waiting: list[_Waiter], exc: BaseException) -> None:
    for _, future in waiting:
        if not future.done():
            future.set_exception(exc)
