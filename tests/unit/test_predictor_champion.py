"""Champion resolution and hot swap, with a fake registry in place of MLflow."""

from __future__ import annotations

import asyncio
import threading
import time

import numpy as np
import pytest
from prometheus_client import CollectorRegistry

from serving.predictor.champion import Champion, ChampionWatcher
from soccerpredict.errors import ModelError, RegistryError
from soccerpredict.monitoring.metrics import Metrics, build

FEATURES = ("a", "b")


class Constant:
    """An estimator predicting the same probabilities for every row."""

    def __init__(self, proba: tuple[float, ...]) -> None:
        self.proba = proba

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.tile(self.proba, (len(x), 1))


class FakeLoader:
    uri = "models:/soccer-1x2@champion"

    def __init__(self) -> None:
        self.alias: str | None = None
        self.loads: list[str] = []
        self.broken: set[str] = set()
        self.gate: threading.Event | None = None
        self.loading = threading.Event()  # set when a load has started (and waits at the gate, if any)

    def resolve(self) -> str | None:
        return self.alias

    def load(self, version: str) -> Champion:
        self.loading.set()
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        self.loads.append(version)
        if version in self.broken:
            raise RegistryError(f"version {version} is corrupt")
        return Champion(version, FEATURES, Constant((0.5, 0.3, 0.2)))


@pytest.fixture
def metrics() -> Metrics:
    return build(CollectorRegistry())


def value(metrics: Metrics, name: str, **labels: str) -> float:
    metric = metrics[name]
    return float((metric.labels(**labels) if labels else metric)._value.get())


def test_no_alias_means_not_ready_with_a_reason(metrics: Metrics) -> None:
    watcher = ChampionWatcher(FakeLoader(), metrics=metrics)
    assert asyncio.run(watcher.refresh()) is False
    assert watcher.current is None
    assert "no model version has the alias models:/soccer-1x2@champion" in watcher.reason
    with pytest.raises(RegistryError, match="no model version has the alias"):
        asyncio.run(watcher.refresh(raise_errors=True))


def test_first_load_then_swap_on_a_new_version(metrics: Metrics) -> None:
    loader = FakeLoader()
    swaps: list[tuple[str | None, str]] = []

    async def on_swap(old: Champion | None, new: Champion) -> None:
        swaps.append((old.version if old else None, new.version))

    watcher = ChampionWatcher(loader, metrics=metrics, on_swap=on_swap)

    async def scenario() -> None:
        loader.alias = "1"
        assert await watcher.refresh()
        assert not await watcher.refresh()  # same version: nothing loaded
        loader.alias = "2"
        assert await watcher.refresh()

    asyncio.run(scenario())
    assert loader.loads == ["1", "2"]
    assert swaps == [(None, "1"), ("1", "2")]
    assert watcher.current is not None and watcher.current.version == "2"
    assert value(metrics, "model_swaps_total") == 1
    assert value(metrics, "model_info", service="predictor", model="soccer-1x2", version="2") == 1
    exported = {s.labels.get("version") for s in metrics["model_info"].collect()[0].samples}
    assert exported == {"2"}, "the old version's model_info series is removed"


def test_a_broken_new_version_keeps_the_old_one_serving(metrics: Metrics) -> None:
    loader = FakeLoader()
    watcher = ChampionWatcher(loader, metrics=metrics)
    loader.alias = "1"
    asyncio.run(watcher.refresh())
    loader.alias, loader.broken = "2", {"2"}
    assert asyncio.run(watcher.refresh()) is False
    assert watcher.current is not None and watcher.current.version == "1"
    assert "version 2 is corrupt" in watcher.reason
    with pytest.raises(RegistryError, match="corrupt"):
        asyncio.run(watcher.refresh(raise_errors=True))


def test_requests_keep_the_old_model_while_the_new_one_loads(metrics: Metrics) -> None:
    loader = FakeLoader()
    watcher = ChampionWatcher(loader, metrics=metrics)

    async def scenario() -> list[str]:
        loader.alias = "1"
        await watcher.refresh()
        loader.alias, loader.gate = "2", threading.Event()
        loader.loading.clear()
        refresh = asyncio.create_task(watcher.refresh())
        deadline = time.monotonic() + 30
        while not loader.loading.is_set():  # version 2's load has started, in a thread, and waits at the gate
            assert time.monotonic() < deadline, "version 2's load never started"
            await asyncio.sleep(0.01)
        seen = []
        for _ in range(5):  # the event loop stays free while version 2 loads in a thread
            await asyncio.sleep(0.01)
            assert watcher.current is not None
            seen.append(watcher.current.version)
        loader.gate.set()
        await refresh
        assert watcher.current is not None
        seen.append(watcher.current.version)
        return seen

    assert asyncio.run(scenario()) == ["1"] * 5 + ["2"]


def test_watch_polls_the_alias(metrics: Metrics) -> None:
    loader = FakeLoader()
    watcher = ChampionWatcher(loader, metrics=metrics)

    async def scenario() -> str | None:
        task = asyncio.create_task(watcher.watch(0.01))
        loader.alias = "4"
        deadline = time.monotonic() + 30  # each poll resolves and loads in a thread: give a busy machine time
        while watcher.current is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        task.cancel()
        return watcher.current.version if watcher.current else None

    assert asyncio.run(scenario()) == "4"


def test_a_model_without_three_probabilities_is_refused() -> None:
    champion = Champion("1", FEATURES, Constant((0.5, 0.5)))
    with pytest.raises(ModelError, match=r"shape \[1, 2\], expected \[1, 3\]"):
        champion.predict_proba(np.zeros((1, 2), dtype=np.float32))
