"""The kserve model in-process: readiness, predictions, error mapping, unload and load (no server, no Redis)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from kserve import InferInput, InferRequest
from kserve.errors import InferenceError, InvalidInput, ModelNotReady
from predictor_doubles import MemoryCache, StaticLoader
from prometheus_client import CollectorRegistry

from serving.common.cache import PredictionCache
from serving.predictor import model
from serving.predictor.features import FeatureSnapshot
from serving.predictor.model import ChampionRepository, SoccerPredictor
from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.metrics import Metrics, build

FEATURES = ("a", "b")


@pytest.fixture
def metrics() -> Metrics:
    return build(CollectorRegistry())


@pytest.fixture
def predictor(tmp_path: Path, metrics: Metrics) -> SoccerPredictor:
    store = ObjectStore(tmp_path.as_uri())
    store.write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1", "m2"], "a": [2.0, -2.0], "b": [0.0, 1.0]}))
    cache = PredictionCache(None, ttl_seconds=60, metrics=metrics, service="predictor")
    return SoccerPredictor(StaticLoader(features=FEATURES), FeatureSnapshot(store), cache, metrics, poll_seconds=3600)


def infer(predictor: SoccerPredictor, name: str, shape: list[int], datatype: str, data: list[Any]) -> dict[str, Any]:
    request = InferRequest("soccer-1x2", [InferInput(name, shape, datatype, data=data)], request_id="r")

    async def call() -> dict[str, Any]:
        if predictor.watcher.current is None:
            await predictor.watcher.refresh()
        body, _ = (await predictor.predict(request)).to_rest()
        assert isinstance(body, dict)
        return body

    return asyncio.run(call())


def probabilities(body: dict[str, Any]) -> np.ndarray:
    output = body["outputs"][0]
    return np.reshape(output["data"], output["shape"])


def test_features_and_match_ids_give_the_same_probabilities(predictor: SoccerPredictor) -> None:
    by_features = infer(predictor, "features", [2, 2], "FP32", [2.0, 0.0, -2.0, 1.0])
    by_ids = infer(predictor, "match_id", [3], "BYTES", ["m2", "m1", "m2"])
    np.testing.assert_allclose(probabilities(by_ids), probabilities(by_features)[[1, 0, 1]], atol=1e-6)
    assert by_ids["outputs"][1]["data"] == ["1", "1", "1"]


def test_unknown_match_ids_are_a_400_naming_them(predictor: SoccerPredictor) -> None:
    with pytest.raises(InvalidInput, match=r"unknown match id\(s\) 'nope'"):
        infer(predictor, "match_id", [2], "BYTES", ["m1", "nope"])


def test_a_snapshot_missing_model_features_is_a_server_error(tmp_path: Path, predictor: SoccerPredictor) -> None:
    ObjectStore(tmp_path.as_uri()).write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1"], "a": [1.0]}))
    with pytest.raises(InferenceError, match=r"lacks the model's feature column\(s\) \['b'\]"):
        infer(predictor, "match_id", [1], "BYTES", ["m1"])


def test_without_a_champion_predict_says_why(tmp_path: Path, metrics: Metrics) -> None:
    cache = PredictionCache(None, ttl_seconds=60, metrics=metrics, service="predictor")
    predictor = SoccerPredictor(
        StaticLoader(None, FEATURES), FeatureSnapshot(ObjectStore(tmp_path.as_uri())), cache, metrics
    )
    request = InferRequest("soccer-1x2", [InferInput("features", [1, 2], "FP32", data=[0, 0])], request_id="r")

    async def scenario() -> None:
        await predictor.watcher.refresh()
        assert not await predictor.healthy()
        await predictor.predict(request)

    with pytest.raises(ModelNotReady, match="no model version has the alias"):
        asyncio.run(scenario())


def test_unload_then_load_serves_again(predictor: SoccerPredictor) -> None:
    repository = ChampionRepository(predictor)

    async def scenario() -> list[bool]:
        background = asyncio.create_task(predictor.run_background())
        deadline = time.monotonic() + 30  # the first load runs in a thread: give a busy machine time
        while not predictor.ready:
            assert time.monotonic() < deadline, "the champion did not load within 30 s"
            await asyncio.sleep(0.01)
        states = [await repository.is_model_ready("soccer-1x2")]
        repository.unload("soccer-1x2")  # kserve's unload: stop() and forget the model
        await asyncio.sleep(0)
        states += [background.done(), repository.get_model("soccer-1x2") is None]
        states.append(await repository.load("soccer-1x2"))
        states.append(await repository.is_model_ready("soccer-1x2"))
        predictor.stop()
        return states

    assert asyncio.run(scenario()) == [True, True, True, True, True]


def _with_parameters(parameters: dict[str, Any] | None) -> InferRequest:
    tensor = InferInput(name="match_id", shape=[1], datatype="BYTES", data=["m1"])
    return InferRequest(model_name="soccer-1x2", infer_inputs=[tensor], parameters=parameters)


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [(None, False), ({}, False), ({"cache": "predictor"}, False), ({"cache": "caller"}, True)],
)
def test_the_cache_parameter_names_the_requests_cache_owner(parameters: dict[str, Any] | None, expected: bool) -> None:
    from serving.predictor.protocol import caller_caches

    assert caller_caches(_with_parameters(parameters)) is expected


def test_an_unknown_cache_owner_is_a_400_that_names_the_choices(predictor: SoccerPredictor) -> None:
    asyncio.run(predictor.watcher.refresh())
    with pytest.raises(InvalidInput, match=r"'caller'.*'predictor'"):
        asyncio.run(predictor.predict(_with_parameters({"cache": "nobody"})))


# --- the prediction cache around a swap --------------------------------------------------------------------


class SwapDuringFeatures:
    """The feature snapshot, but the alias moves to ``version`` while the first request reads its features."""

    def __init__(self, snapshot: FeatureSnapshot, loader: StaticLoader, version: str) -> None:
        self.snapshot, self.loader, self.version = snapshot, loader, version
        self.predictor: SoccerPredictor | None = None

    async def features(self, match_ids: Sequence[str], feature_names: Sequence[str]) -> np.ndarray:
        rows = await self.snapshot.features(match_ids, feature_names)
        if self.predictor is not None and self.loader.version != self.version:
            self.loader.version = self.version
            assert await self.predictor.watcher.refresh()
        return rows


def cached_predictor(tmp_path: Path, metrics: Metrics, loader: StaticLoader) -> tuple[SoccerPredictor, MemoryCache]:
    store = ObjectStore(tmp_path.as_uri())
    store.write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1", "m2"], "a": [2.0, -2.0], "b": [0.0, 1.0]}))
    cache = MemoryCache()
    return SoccerPredictor(loader, FeatureSnapshot(store), cache, metrics, poll_seconds=3600), cache  # type: ignore[arg-type]


def match_request(*ids: str) -> InferRequest:
    return InferRequest("soccer-1x2", [InferInput("match_id", [len(ids)], "BYTES", data=list(ids))], request_id="r")


def versions_of(body: dict[str, Any]) -> list[str]:
    return body["outputs"][1]["data"]


def test_a_swap_deletes_the_old_versions_entries_at_once(
    tmp_path: Path, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "_SWEEP_AGAIN_AFTER_SECONDS", 3600.0)  # the delayed sweep cannot run in this test
    loader = StaticLoader("1", FEATURES)
    predictor, cache = cached_predictor(tmp_path, metrics, loader)

    async def scenario() -> tuple[set[str], set[str]]:
        await predictor.watcher.refresh()
        await predictor.predict(match_request("m1", "m2"))
        before = cache.versions()
        loader.version = "2"
        assert await predictor.watcher.refresh()
        return before, cache.versions()

    assert asyncio.run(scenario()) == ({"1"}, set())


def test_the_delayed_sweep_deletes_an_old_entry_written_after_the_swap(
    tmp_path: Path, metrics: Metrics, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(model, "_SWEEP_AGAIN_AFTER_SECONDS", 0.0)
    loader = StaticLoader("1", FEATURES)
    predictor, cache = cached_predictor(tmp_path, metrics, loader)

    async def scenario() -> set[str]:
        await predictor.watcher.refresh()
        loader.version = "2"
        await predictor.watcher.refresh()
        await cache.set_many({"m1": [0.5, 0.3, 0.2]}, "1")  # a request that started on version 1 finishes late
        for _ in range(100):  # poll: the sweep runs once the event loop gets to it
            if not cache.versions():
                break
            await asyncio.sleep(0)
        return cache.versions()

    assert asyncio.run(scenario()) == set()


def test_a_request_whose_version_is_swapped_out_meanwhile_writes_no_cache_entry(
    tmp_path: Path, metrics: Metrics
) -> None:
    loader = StaticLoader("1", FEATURES)
    predictor, cache = cached_predictor(tmp_path, metrics, loader)
    swapping = SwapDuringFeatures(predictor.snapshot, loader, "2")
    predictor.snapshot, swapping.predictor = swapping, predictor  # type: ignore[assignment]

    async def scenario() -> tuple[list[str], list[str]]:
        await predictor.watcher.refresh()
        during = (await predictor.predict(match_request("m1"))).to_rest()[0]
        after = (await predictor.predict(match_request("m1"))).to_rest()[0]
        return versions_of(during), versions_of(after)

    assert asyncio.run(scenario()) == (["1"], ["2"])
    assert cache.writes == [("2", ("m1",))]  # version 1's answer was never written
    assert cache.versions() == {"2"}


def test_a_caller_owned_cache_is_neither_read_nor_written(tmp_path: Path, metrics: Metrics) -> None:
    predictor, cache = cached_predictor(tmp_path, metrics, StaticLoader("1", FEATURES))
    planted = (0.1, 0.1, 0.8)
    cache.entries[("m1", "1")] = planted

    async def scenario() -> tuple[np.ndarray, np.ndarray]:
        await predictor.watcher.refresh()
        by_caller = (await predictor.predict(_with_parameters({"cache": "caller"}))).to_rest()[0]
        by_predictor = (await predictor.predict(_with_parameters(None))).to_rest()[0]
        return probabilities(by_caller), probabilities(by_predictor)

    by_caller, by_predictor = asyncio.run(scenario())
    np.testing.assert_allclose(by_predictor, [planted], atol=1e-6)  # the predictor's own requests read it
    assert not np.allclose(by_caller, [planted], atol=1e-3)  # the caller's came from the model
    assert cache.writes == []


def test_predictions_are_counted_and_timed_by_where_they_came_from(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    predictor, cache = cached_predictor(tmp_path, build(registry), StaticLoader("1", FEATURES))
    cache.entries[("m1", "1")] = (0.1, 0.1, 0.8)

    def counted(source: str) -> float:
        return registry.get_sample_value("soccerpredict_predictions_total", {"source": source}) or 0.0

    def timed(source: str) -> float:
        return registry.get_sample_value("soccerpredict_prediction_duration_seconds_count", {"source": source}) or 0.0

    async def scenario() -> list[dict[str, Any]]:
        await predictor.watcher.refresh()
        mixed = (await predictor.predict(match_request("m1", "m2", "m1"))).to_rest()[0]
        cached = (await predictor.predict(match_request("m2", "m1"))).to_rest()[0]  # m2 is cached by now
        return [mixed, cached]

    mixed, cached = asyncio.run(scenario())
    # The first request: m1 twice from the cache, m2 from the model (one row inferred), timed as "model".
    np.testing.assert_allclose(probabilities(mixed)[[0, 2]], [(0.1, 0.1, 0.8)] * 2, atol=1e-6)
    np.testing.assert_allclose(probabilities(cached)[0], probabilities(mixed)[1], atol=1e-6)
    # The second: both from the cache, timed as "cache".
    assert (counted("cache"), counted("model")) == (4.0, 1.0)
    assert (timed("model"), timed("cache")) == (1.0, 1.0)
