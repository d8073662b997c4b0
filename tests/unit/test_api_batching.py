"""Natural batching of the facade's cache misses (MissBatcher) against an in-process predictor that records calls.

Each call of a held recording predictor blocks until the test releases it, so the tests decide exactly which
misses queue up behind a call in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from api_doubles import StubPredictor
from prometheus_client import CollectorRegistry

from serving.api.services.batching import MissBatcher
from serving.common.v2_client import InferResult, PredictorTimeoutError
from soccerpredict.errors import PredictorUnavailableError, UnknownMatchError
from soccerpredict.monitoring.metrics import build

KNOWN = {f"m{i}": (0.5 - i / 100, 0.25, 0.25 + i / 100) for i in range(10)}


class GatedPredictor(StubPredictor):
    """Answers like StubPredictor and records each call's match ids; with ``held``, each call waits until
    ``gate.set()``."""

    def __init__(self, *, held: bool = False, names_unknown: bool = False) -> None:
        super().__init__(KNOWN, version="3", names_unknown=names_unknown)
        self.calls: list[list[str]] = []
        self.gate = asyncio.Event()
        if not held:
            self.gate.set()

    async def infer(self, match_ids: Sequence[str]) -> InferResult:
        self.calls.append(list(match_ids))
        await self.gate.wait()
        return await super().infer(list(match_ids))


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def test_a_lone_miss_is_sent_at_once_alone() -> None:
    async def scenario() -> tuple[str, tuple[float, float, float]]:
        predictor = GatedPredictor()
        batcher = MissBatcher(predictor, timeout=1.0)
        result = await batcher.predict("m1")
        assert predictor.calls == [["m1"]]
        return result

    assert asyncio.run(scenario()) == ("3", KNOWN["m1"])


def test_misses_queued_behind_busy_calls_share_the_next_call() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_in_flight=1)
        first = asyncio.create_task(batcher.predict("m0"))
        await settle()
        queued = [asyncio.create_task(batcher.predict(m)) for m in ("m1", "m2", "m3", "m2")]
        await settle()
        assert predictor.calls == [["m0"]]  # the queued misses wait for the call in flight
        predictor.gate.set()
        results = await asyncio.gather(first, *queued)
        assert predictor.calls == [["m0"], ["m1", "m2", "m3"]]  # one call, the repeated match asked for once
        assert results == [("3", KNOWN[m]) for m in ("m0", "m1", "m2", "m3", "m2")]

    asyncio.run(scenario())


def test_a_batch_never_exceeds_max_batch() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_batch=3, max_in_flight=1)
        tasks = [asyncio.create_task(batcher.predict(f"m{i}")) for i in range(8)]
        await settle()
        predictor.gate.set()
        results = await asyncio.gather(*tasks)
        assert [len(call) for call in predictor.calls] == [1, 3, 3, 1]
        assert results == [("3", KNOWN[f"m{i}"]) for i in range(8)]

    asyncio.run(scenario())


def test_max_in_flight_calls_run_side_by_side() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_in_flight=2)
        tasks = [asyncio.create_task(batcher.predict(m)) for m in ("m0", "m1", "m2", "m3")]
        await settle()
        assert predictor.calls == [["m0"], ["m1"]]  # two calls open, the rest queued
        predictor.gate.set()
        await asyncio.gather(*tasks)
        assert sorted(map(len, predictor.calls)) == [1, 1, 2]

    asyncio.run(scenario())


def test_an_unknown_match_fails_alone_and_its_batch_mates_still_get_answers() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_in_flight=1)
        first = asyncio.create_task(batcher.predict("m0"))
        await settle()
        batch = [asyncio.create_task(batcher.predict(m)) for m in ("m1", "nobody", "m2")]
        await settle()
        predictor.gate.set()
        assert await first == ("3", KNOWN["m0"])
        assert await batch[0] == ("3", KNOWN["m1"])
        with pytest.raises(UnknownMatchError):
            await batch[1]
        assert await batch[2] == ("3", KNOWN["m2"])
        assert predictor.calls[1] == ["m1", "nobody", "m2"]  # refused as a whole, then asked one by one
        assert sorted(map(tuple, predictor.calls[2:])) == [("m1",), ("m2",), ("nobody",)]

    asyncio.run(scenario())


def test_unknown_matches_the_predictor_names_fail_and_their_batch_mates_are_asked_again_in_one_call() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True, names_unknown=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_in_flight=1)
        first = asyncio.create_task(batcher.predict("m0"))
        await settle()
        batch = [asyncio.create_task(batcher.predict(m)) for m in ("m1", "nobody", "m2", "ghost")]
        await settle()
        predictor.gate.set()
        assert await first == ("3", KNOWN["m0"])
        assert [await batch[0], await batch[2]] == [("3", KNOWN["m1"]), ("3", KNOWN["m2"])]
        for unknown in (batch[1], batch[3]):
            with pytest.raises(UnknownMatchError):
                await unknown
        assert predictor.calls[1:] == [["m1", "nobody", "m2", "ghost"], ["m1", "m2"]]  # two calls, not five

    asyncio.run(scenario())


def test_a_failed_call_fails_every_request_it_carried() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor()
        predictor.error = PredictorUnavailableError("the predictor is unreachable")
        batcher = MissBatcher(predictor, timeout=1.0)
        results = await asyncio.gather(*(batcher.predict(m) for m in ("m0", "m1", "m2")), return_exceptions=True)
        assert all(isinstance(r, PredictorUnavailableError) for r in results)
        predictor.error = None  # and the batcher keeps working afterwards
        assert await batcher.predict("m4") == ("3", KNOWN["m4"])

    asyncio.run(scenario())


def test_a_request_waits_at_most_the_timeout_queue_included() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=0.05, max_in_flight=1)
        with pytest.raises(PredictorTimeoutError, match=r"0\.05 s"):
            await batcher.predict("m0")
        predictor.gate.set()
        await settle()
        # The next request must not race that 0.05 s on a busy machine: only the slot is under test now.
        batcher.timeout = 30.0
        assert await batcher.predict("m1") == ("3", KNOWN["m1"])  # the stuck call's slot came back

    asyncio.run(scenario())


def test_max_batch_one_sends_one_call_per_miss() -> None:
    async def scenario() -> None:
        predictor = GatedPredictor()
        batcher = MissBatcher(predictor, timeout=1.0, max_batch=1)
        await asyncio.gather(*(batcher.predict(m) for m in ("m0", "m1", "m2")))
        assert sorted(predictor.calls) == [["m0"], ["m1"], ["m2"]]

    asyncio.run(scenario())


def test_batch_sizes_are_observed() -> None:
    registry = CollectorRegistry()

    async def scenario() -> None:
        predictor = GatedPredictor(held=True)
        batcher = MissBatcher(predictor, timeout=1.0, max_in_flight=1, metrics=build(registry))
        tasks = [asyncio.create_task(batcher.predict(m)) for m in ("m0", "m1", "m2")]
        await settle()
        predictor.gate.set()
        await asyncio.gather(*tasks)

    asyncio.run(scenario())
    assert registry.get_sample_value("soccerpredict_predictor_batch_rows_count") == 2
    assert registry.get_sample_value("soccerpredict_predictor_batch_rows_sum") == 3


@pytest.mark.parametrize(("max_batch", "max_in_flight"), [(0, 1), (1, 0)])
def test_limits_below_one_are_refused(max_batch: int, max_in_flight: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        MissBatcher(GatedPredictor(), timeout=1.0, max_batch=max_batch, max_in_flight=max_in_flight)
