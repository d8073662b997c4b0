"""One cache owner per request, counted on the real Redis with MONITOR: the facade in front of the real predictor.

A facade miss reads its key once and writes it once (the facade owns the cache; it asks the predictor with
``parameters.cache = "caller"``); a direct client of the predictor still gets the predictor's cache.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pandas as pd
import pytest
import redis
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from needs import missing
from predictor_doubles import StaticLoader
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from serving.api.app import create_app
from serving.common.cache import PredictionCache, cache_key
from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.metrics import build
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

KEY = "single-owner-key"


@dataclass
class Monitor:
    """Every Redis command naming ``tag``, as MONITOR reports it, until :meth:`stop`."""

    url: str
    tag: str
    commands: list[list[str]] = field(default_factory=list)
    _ready: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Monitor:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "MONITOR did not start"
        return self

    def _run(self) -> None:
        client = redis.Redis.from_url(self.url)
        with client.monitor() as monitor:
            self._ready.set()
            while True:
                words = str(monitor.next_command()["command"]).split()
                if self.tag not in " ".join(words):
                    continue
                if words[:2] == ["ECHO", f"stop-{self.tag}"]:
                    break
                self.commands.append(words)
        client.close()

    def stop(self) -> list[list[str]]:
        redis.Redis.from_url(self.url).echo(f"stop-{self.tag}")
        assert self._thread is not None
        self._thread.join(60)
        # MONITOR reports commands in order: once it has seen the marker it has seen every command before it, so
        # "no read, no write" means none happened, not that MONITOR had not caught up yet.
        assert not self._thread.is_alive(), "MONITOR never reported the stop marker"
        return self.commands

    def on(self, key: str) -> dict[str, int]:
        """How many reads (GET, MGET) and writes (SET) named ``key``."""
        reads = sum(1 for words in self.commands if words[0] in {"GET", "MGET"} and key in words[1:])
        writes = sum(1 for words in self.commands if words[0] == "SET" and words[1] == key)
        return {"reads": reads, "writes": writes}


@pytest.fixture
def tag() -> str:
    return f"so{uuid.uuid4().hex[:10]}"


@pytest.fixture
def db(redis_url: str, tag: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    try:
        client.ping()
    except redis.ConnectionError:
        missing(f"no Redis at {redis_url}")
    yield client
    keys = list(client.scan_iter(match=f"predict:*{tag}*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def predictor_app(tmp_path: Path, redis_url: str, tag: str) -> FastAPI:
    from kserve.protocol.model_repository_extension import ModelRepositoryExtension

    from serving.predictor.app import build_app
    from serving.predictor.binary_request import CheckedDataPlane
    from serving.predictor.features import FeatureSnapshot
    from serving.predictor.model import ChampionRepository, SoccerPredictor

    metrics = build(CollectorRegistry())
    store = ObjectStore(tmp_path.as_uri())
    ids = [f"{tag}-m{i}" for i in range(3)]
    store.write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ids, "a": [2.0, -2.0, 0.5], "b": [0.0, 1.0, 0]}))
    cache = PredictionCache(redis_url, ttl_seconds=120, metrics=metrics, service="predictor")
    predictor = SoccerPredictor(StaticLoader(f"{tag}v1"), FeatureSnapshot(store), cache, metrics, poll_seconds=3600)
    asyncio.run(predictor.watcher.refresh())
    repository = ChampionRepository(predictor)
    dataplane = CheckedDataPlane(model_registry=repository)
    extension = ModelRepositoryExtension(model_registry=repository)
    return build_app(predictor, dataplane, extension, admin_key=SecretStr("admin"))


@pytest.fixture
def predictor_url(tmp_path: Path, redis_url: str, tag: str, db: redis.Redis) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(predictor_app(tmp_path / "store", redis_url, tag), log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the predictor did not start"
        time.sleep(0.01)
    yield url
    server.should_exit = True
    thread.join(10)


def facade(tmp_path: Path, predictor_url: str, redis_url: str) -> TestClient:
    settings = Settings(
        home=tmp_path / "home",
        store_uri=(tmp_path / "facade-store").as_uri(),
        api_keys=[KEY],
        predictor_url=predictor_url,
        redis_url=redis_url,
        cache_ttl_seconds=120,
        cache_local_ttl_seconds=0,
    )
    return TestClient(create_app(settings, registry=CollectorRegistry()))


def test_a_facade_miss_reads_and_writes_its_key_once(
    tmp_path: Path, predictor_url: str, redis_url: str, db: redis.Redis, tag: str
) -> None:
    match, version = f"{tag}-m0", f"{tag}v1"
    with facade(tmp_path, predictor_url, redis_url) as client:
        monitor = Monitor(redis_url, tag).start()
        miss = client.get(f"/predict/{match}", headers={"X-API-Key": KEY})
        hit = client.get(f"/predict/{match}", headers={"X-API-Key": KEY})
        monitor.stop()
    assert miss.status_code == 200, miss.text
    assert (miss.json()["source"], hit.json()["source"]) == ("model", "cache")
    assert miss.json()["model_version"] == version
    # the miss: one read and one write; the hit: one more read
    assert monitor.on(cache_key(match, version)) == {"reads": 2, "writes": 1}, monitor.commands
    assert 0 < db.ttl(cache_key(match, version)) <= 120


def test_a_direct_client_of_the_predictor_keeps_the_predictors_cache(
    predictor_url: str, redis_url: str, db: redis.Redis, tag: str
) -> None:
    match, version = f"{tag}-m1", f"{tag}v1"
    body = {"inputs": [{"name": "match_id", "shape": [1], "datatype": "BYTES", "data": [match]}]}
    monitor = Monitor(redis_url, tag).start()
    responses = [httpx.post(f"{predictor_url}/v2/models/soccer-1x2/infer", json=body) for _ in range(2)]
    monitor.stop()
    assert [r.status_code for r in responses] == [200, 200], responses[0].text
    assert responses[0].json()["outputs"] == responses[1].json()["outputs"]
    assert monitor.on(cache_key(match, version)) == {"reads": 2, "writes": 1}, monitor.commands


def test_a_caller_owned_request_leaves_the_predictors_cache_alone(
    predictor_url: str, redis_url: str, db: redis.Redis, tag: str
) -> None:
    match, version = f"{tag}-m2", f"{tag}v1"
    body = {
        "parameters": {"cache": "caller"},
        "inputs": [{"name": "match_id", "shape": [1], "datatype": "BYTES", "data": [match]}],
    }
    monitor = Monitor(redis_url, tag).start()
    response = httpx.post(f"{predictor_url}/v2/models/soccer-1x2/infer", json=body)
    monitor.stop()
    assert response.status_code == 200, response.text
    assert monitor.on(cache_key(match, version)) == {"reads": 0, "writes": 0}, monitor.commands
    assert not db.exists(cache_key(match, version))
