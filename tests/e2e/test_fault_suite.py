"""Fault suite: the serving stack as separate processes, its dependencies killed and frozen under load.

Its own processes only, never the machine's shared services: a private ``redis-server`` as the prediction
cache, a second one as the Celery broker and result backend, the KServe predictor (a small registered
champion), the facade and one Celery worker. Each test breaks one thing while requests run, checks what the
clients saw, repairs it and checks that the stack recovers without restarting the processes that stayed up:

- Redis (the cache) killed, then frozen (SIGSTOP), under concurrent sync load: zero failed requests, since the
  cache is a fallback-free optimisation (a miss goes to the predictor);
- the predictor killed, then frozen: requests for cached matches still answer 200 from the cache, the others
  fail fast with 503 or 504, never hang; after a restart (or SIGCONT) they answer 200 again;
- the broker down: an async job is refused with 503 (not accepted, so not lost), sync predictions go on; with the
  broker back, an accepted job ends ``done``.

A worker killed mid-job is tested in ``tests/service/test_worker_redelivery.py`` (RabbitMQ in its own vhost
redelivers it; the embedded broker loses it and its status turns ``failed``): over a Redis broker redelivery
waits for the visibility timeout, the job's hard limit plus 300 s, too long for a test.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import redis
from mlflow_state import mlflow_state_restored
from needs import missing

from serving.stack import free_port

pytestmark = pytest.mark.service


@pytest.fixture(autouse=True)
def _redis_server_binary() -> None:
    if shutil.which("redis-server") is None:
        missing("no redis-server binary (Debian's redis-server): the fault suite starts its own Redis")


REPO = Path(__file__).resolve().parents[2]
MODEL = "soccer-1x2"
FEATURES = ("elo_diff", "form_home_points", "form_away_points", "rest_days_diff")
KEY = "fault-suite-key"
HEADERS = {"X-API-Key": KEY}
N_MATCHES = 2000
#: Seconds the facade waits for the predictor (a frozen predictor must turn into a 504 this fast).
PREDICTOR_TIMEOUT = 2.0
#: Generous bounds for a loaded CI machine: they catch a hang, they time nothing.
READY_SECONDS = 180.0
REQUEST_TIMEOUT = 30.0


def match_id(i: int) -> str:
    return f"F0-{i:05d}"


def register_champion(tracking_uri: str, artifacts: str) -> None:
    """A small logistic regression, logged and aliased @champion the way the pipeline does it."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(500, len(FEATURES))), columns=list(FEATURES))
    y = pd.cut(x["elo_diff"] + rng.normal(size=500), 3, labels=False)
    model = LogisticRegression(max_iter=500).fit(x, y)
    with mlflow_state_restored():
        mlflow.set_tracking_uri(tracking_uri)
        experiment = MlflowClient().create_experiment("fault-suite", artifact_location=artifacts)
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(x, model.predict_proba(x)),
                input_example=x.head(2),
                registered_model_name=MODEL,
                pip_requirements=["scikit-learn"],
            )
        MlflowClient().set_registered_model_alias(MODEL, "champion", info.registered_model_version)


@dataclass
class Process:
    """One child process of the suite, restartable with the same command and environment."""

    name: str
    command: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"--- start {self.starts} ---\n".encode())
            out.flush()
            self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)

    def freeze(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGCONT)  # a frozen process cannot act on SIGTERM
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(15)

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Stack:
    """The suite's processes and their addresses."""

    api_url: str
    predictor_url: str
    cache_url: str
    processes: dict[str, Process] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Process:
        return self.processes[name]

    def wait_until(self, what: str, check: Callable[[], bool], seconds: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                if check():
                    return
            except (httpx.TransportError, redis.RedisError, OSError):
                pass
            for process in self.processes.values():
                if process.process is not None and process.process.poll() is not None and process.name != "cache":
                    pytest.fail(f"{process.name} exited ({process.process.returncode}):\n{process.tail()}")
            time.sleep(0.2)
        logs = "\n".join(f"== {p.name}\n{p.tail()}" for p in self.processes.values())
        pytest.fail(f"not {what} after {seconds:.0f} s:\n{logs}")

    def wait_predictor_ready(self) -> None:
        url = f"{self.predictor_url}/v2/models/{MODEL}/ready"
        self.wait_until("predictor ready", lambda: httpx.get(url, timeout=5).status_code == 200)

    def wait_facade_ready(self, cache: str = "ok") -> None:
        def ready() -> bool:
            answer = httpx.get(f"{self.api_url}/health/ready", timeout=5)
            return answer.status_code == 200 and answer.json()["checks"]["cache"] == cache

        self.wait_until(f"facade ready with cache {cache}", ready)

    def start_redis(self, name: str) -> None:
        self[name].start()
        port = self[name].env["FAULT_PORT"]
        self.wait_until(f"{name} up", lambda: bool(redis.Redis(port=int(port), socket_timeout=2).ping()))


def _redis(name: str, port: int, scratch: Path) -> Process:
    folder = scratch / name
    folder.mkdir()
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    command += ["--dir", str(folder)]
    return Process(name, command, {**os.environ, "FAULT_PORT": str(port)}, scratch / f"{name}.log")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from soccerpredict.artifacts import MATCH_FEATURES_KEY
    from soccerpredict.data.store import ObjectStore

    scratch = tmp_path_factory.mktemp("fault-suite")
    tracking_uri, store_uri = f"sqlite:///{scratch / 'mlflow.db'}", (scratch / "store").as_uri()
    register_champion(tracking_uri, (scratch / "mlartifacts").as_uri())
    snapshot = pd.DataFrame(np.random.default_rng(1).normal(size=(N_MATCHES, len(FEATURES))), columns=list(FEATURES))
    snapshot.insert(0, "match_id", [match_id(i) for i in range(N_MATCHES)])
    ObjectStore(store_uri).write_parquet(MATCH_FEATURES_KEY, snapshot)

    ports = {name: free_port() for name in ("cache", "broker", "predictor", "api")}
    cache_url = f"redis://127.0.0.1:{ports['cache']}/0"
    broker = f"redis://127.0.0.1:{ports['broker']}"
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SOCCER_HOME": str(scratch / "home"),
        "SOCCER_STORE_URI": store_uri,
        "MLFLOW_TRACKING_URI": tracking_uri,
        "SOCCER_REDIS_URL": cache_url,
        "SOCCER_BROKER_URL": f"{broker}/0",
        "SOCCER_RESULT_BACKEND": f"{broker}/1",
        "SOCCER_API_KEYS": json.dumps([KEY]),
        "SOCCER_PREDICTOR_PORT": str(ports["predictor"]),
        "SOCCER_PREDICTOR_URL": f"http://127.0.0.1:{ports['predictor']}",
        "SOCCER_PREDICTOR_TIMEOUT": str(PREDICTOR_TIMEOUT),
        "SOCCER_CACHE_LOCAL_TTL_SECONDS": "0",  # every hit a Redis round trip: the tier under test
        "SOCCER_WORKER_METRICS_PORT": "0",
        "SOCCER_BIND_HOST": "127.0.0.1",
    }
    python = sys.executable
    worker = [python, "-m", "celery", "-A", "serving.worker", "worker", "-Q", "ml,api", "--pool=solo"]
    worker += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-n", f"fault-{os.getpid()}@%h"]
    result = Stack(f"http://127.0.0.1:{ports['api']}", env["SOCCER_PREDICTOR_URL"], cache_url)
    for process in (
        _redis("cache", ports["cache"], scratch),
        _redis("broker", ports["broker"], scratch),
        Process("predictor", [python, "-m", "serving.predictor"], env, scratch / "predictor.log"),
        Process("api", [python, "-m", "serving.api", "--port", str(ports["api"])], env, scratch / "api.log"),
        Process("worker", [*worker, "-l", "INFO"], env, scratch / "worker.log"),
    ):
        result.processes[process.name] = process
    try:
        result.start_redis("cache")
        result.start_redis("broker")
        result["predictor"].start()
        result.wait_predictor_ready()
        result["api"].start()
        result["worker"].start()
        result.wait_facade_ready()
        result.wait_until("worker ready", lambda: "ready." in result["worker"].log.read_text(errors="replace"))
        yield result
    finally:
        for process in reversed(result.processes.values()):
            process.stop()


async def _load(api_url: str, ids: list[str], concurrency: int, at: float, action: Callable[[], None]) -> Counter[int]:
    """GET /predict/{id} for every id, ``concurrency`` in flight; ``action`` runs once ``at`` of them answered."""
    statuses: Counter[int] = Counter()
    queue = list(reversed(ids))
    fired = False
    done = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal fired, done
        while queue:
            answer = await client.get(f"/predict/{queue.pop()}")
            statuses[answer.status_code] += 1
            done += 1
            if not fired and done >= at * len(ids):
                fired = True
                await asyncio.to_thread(action)

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    timeout = httpx.Timeout(REQUEST_TIMEOUT)
    async with httpx.AsyncClient(base_url=api_url, headers=HEADERS, limits=limits, timeout=timeout) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    return statuses


def load(stack: Stack, ids: list[str], action: Callable[[], None], *, at: float = 0.3) -> Counter[int]:
    return asyncio.run(_load(stack.api_url, ids, 16, at, action))


def predict(stack: Stack, mid: str) -> httpx.Response:
    return httpx.get(f"{stack.api_url}/predict/{mid}", headers=HEADERS, timeout=REQUEST_TIMEOUT)


def cached_keys(stack: Stack, ids: list[str]) -> int:
    """How many of ``ids`` have a cached prediction (any model version)."""
    db = redis.Redis.from_url(stack.cache_url, socket_timeout=5)
    try:
        return sum(1 for mid in ids if next(db.scan_iter(match=f"predict:{mid}:*", count=1000), None) is not None)
    finally:
        db.close()


def test_redis_killed_under_load_fails_no_request_and_the_cache_comes_back(stack: Stack) -> None:
    ids = [match_id(i) for i in range(0, 600)]
    warm = ids[:200]
    for mid in warm:  # a third are hits before the kill
        assert predict(stack, mid).status_code == 200
    statuses = load(stack, ids, stack["cache"].kill)
    assert statuses == Counter({200: len(ids)}), statuses
    stack.wait_facade_ready(cache="down")
    assert predict(stack, match_id(700)).status_code == 200  # no cache: straight to the predictor

    stack.start_redis("cache")  # an empty Redis (no persistence), same address; nothing else restarted
    stack.wait_facade_ready(cache="ok")
    fresh = [match_id(i) for i in range(710, 720)]
    stack.wait_until(
        "predictions cached again",
        lambda: all(predict(stack, mid).status_code == 200 for mid in fresh) and cached_keys(stack, fresh) == 10,
        seconds=60,
    )
    again = predict(stack, fresh[0])
    assert (again.status_code, again.json()["source"]) == (200, "cache")


def test_redis_frozen_under_load_fails_no_request_and_the_cache_comes_back(stack: Stack) -> None:
    stack.wait_facade_ready(cache="ok")
    ids = [match_id(i) for i in range(800, 1400)]
    for mid in ids[:200]:
        assert predict(stack, mid).status_code == 200
    try:
        statuses = load(stack, ids, stack["cache"].freeze)
        assert statuses == Counter({200: len(ids)}), statuses
    finally:
        stack["cache"].thaw()
    stack.wait_facade_ready(cache="ok")
    fresh = [match_id(i) for i in range(1410, 1420)]
    stack.wait_until(
        "predictions cached again",
        lambda: all(predict(stack, mid).status_code == 200 for mid in fresh) and cached_keys(stack, fresh) == 10,
        seconds=60,
    )


def _predictor_fault(
    stack: Stack, breaks: Callable[[], None], repairs: Callable[[], None], base: int, miss_status: int
) -> None:
    cached = [match_id(i) for i in range(base, base + 50)]
    for mid in cached:
        assert predict(stack, mid).status_code == 200
    stack.wait_until("the warm-up cached", lambda: cached_keys(stack, cached) == len(cached), seconds=60)
    breaks()
    try:
        hits = Counter(predict(stack, mid).status_code for mid in cached)
        assert hits == Counter({200: len(cached)}), hits  # the cache answers for the predictor
        misses = Counter(predict(stack, match_id(i)).status_code for i in range(base + 100, base + 105))
        assert misses == Counter({miss_status: 5}), misses  # failed fast and said why, never a hang or a 500
    finally:
        repairs()
    stack.wait_facade_ready(cache="ok")
    after = Counter(predict(stack, match_id(i)).status_code for i in range(base + 200, base + 220))
    assert after == Counter({200: 20}), after


def test_a_killed_predictor_leaves_cached_matches_served_and_is_used_again_once_restarted(stack: Stack) -> None:
    def restart() -> None:
        stack["predictor"].start()
        stack.wait_predictor_ready()

    _predictor_fault(stack, stack["predictor"].kill, restart, base=1500, miss_status=503)  # refused: unavailable


def test_a_frozen_predictor_times_out_fast_and_is_used_again_once_thawed(stack: Stack) -> None:
    # A frozen process still has its socket: the connection opens, the answer never comes.
    _predictor_fault(stack, stack["predictor"].freeze, stack["predictor"].thaw, base=1750, miss_status=504)


def _wait_done(stack: Stack, task_id: str) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def done() -> bool:
        answer = httpx.get(f"{stack.api_url}/monitoring/task_status/{task_id}", headers=HEADERS, timeout=10)
        seen.update(answer.json())
        return answer.status_code == 200 and seen.get("status") in {"done", "failed"}

    stack.wait_until(f"job {task_id} finished", done, seconds=120)
    return seen


def test_a_dead_broker_refuses_jobs_visibly_while_sync_predictions_go_on(stack: Stack) -> None:
    body = [match_id(1), match_id(2)]
    accepted = httpx.post(f"{stack.api_url}/predict/async/", json=body, headers=HEADERS, timeout=REQUEST_TIMEOUT)
    assert accepted.status_code == 202, accepted.text
    assert _wait_done(stack, accepted.json()["task_id"])["status"] == "done"

    stack["broker"].kill()
    try:
        refused = httpx.post(f"{stack.api_url}/predict/async/", json=body, headers=HEADERS, timeout=REQUEST_TIMEOUT)
        assert refused.status_code == 503, refused.text  # not accepted: the client knows to retry, nothing is lost
        assert "not queued" in refused.json()["detail"]
        sync = Counter(predict(stack, match_id(i)).status_code for i in range(1900, 1920))
        assert sync == Counter({200: 20}), sync
    finally:
        stack.start_redis("broker")

    def accepted_again() -> bool:
        answer = httpx.post(f"{stack.api_url}/predict/async/", json=body, headers=HEADERS, timeout=REQUEST_TIMEOUT)
        if answer.status_code == 202:
            accepted_again.task_id = answer.json()["task_id"]  # type: ignore[attr-defined]
        return answer.status_code == 202

    stack.wait_until("jobs accepted again", accepted_again, seconds=60)
    status = _wait_done(stack, accepted_again.task_id)  # type: ignore[attr-defined]
    assert status["status"] == "done", status  # the worker reconnected by itself
    assert [row["match_id"] for row in status["result"]["predictions"]] == body
