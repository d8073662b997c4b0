"""TEST DOUBLES for the facade and worker tests (and bench/bench_facade.py). Not product code.

:class:`FakeV2Predictor` stands in for the KServe v2 predictor (the real one is serving/predictor/):
the same HTTP contract with canned answers. Routes: ``GET /v2/health/{live,ready}``,
``GET /v2/models/soccer-1x2`` (metadata), ``GET /v2/models/soccer-1x2/ready`` and
``POST /v2/models/soccer-1x2/infer`` with ``match_id`` BYTES [n] (or ``features`` FP32 [n, k]) ->
``probabilities`` FP32 [n, 3] and ``model_version`` BYTES; 400 with a JSON ``error`` for unknown
match ids. Served by uvicorn on a free loopback port in a thread, so facades, workers in other
processes and benchmarks reach it over real HTTP.

:class:`StubPredictor` is an in-process object with the facade's ``Predictor`` interface, for tests
that are not about HTTP (auth, OpenAPI).

:func:`eventually` polls until a background refresh (the facade's published objects, a worker's gauge)
has happened.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from serving.common.v2_client import InferResult, ModelMetadata
from serving.predictor.champion import Champion
from serving.predictor.protocol import model_metadata
from soccerpredict.artifacts import ALIAS_CHAMPION
from soccerpredict.data.store import ObjectInfo, ObjectStore
from soccerpredict.errors import UnknownMatchError

MODEL = "soccer-1x2"


def eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Call ``check`` until it returns something truthy or ``timeout`` seconds pass; return its last result.

    The default is generous on purpose: it only bounds how long a failing test takes, a passing one returns at once.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.02)


def as_new_version(store: ObjectStore, key: str, before: ObjectInfo) -> None:
    """Make a rewrite of ``key`` on a local store read as a new version, however coarse the file system's clock.

    A local store tells versions apart by mtime and size: a rewrite of the same size within one tick of the clock the
    file system stamps with would look unchanged and never be reloaded. When it does, its mtime moves a second on.
    """
    after = store.info(key)
    if (after.version, after.size) == (before.version, before.size):
        path = Path(store.path(key))
        stat = path.stat()
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    now = store.info(key)
    assert (now.version, now.size) != (before.version, before.size), f"{key} still reads as version {now.version}"


#: Sockets bound and never listening, held for the whole test session so no other process can take their ports.
_HELD_PORTS: list[socket.socket] = []


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connections are refused): its port stays bound by this process, without
    listening, so no server started later can take it (a port found free and then released could be)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def closed_port_url_as(scheme: str, *, userinfo: str = "", path: str = "") -> str:
    """:func:`closed_port_url` for another protocol: ``closed_port_url_as("redis", path="/0")``."""
    return closed_port_url().replace("http://", f"{scheme}://{userinfo}") + path


def closed_redis_url() -> str:
    """A Redis URL nothing answers on (database 0)."""
    return closed_port_url_as("redis", path="/0")


#: The fake's feature columns: it answers a features row with the row normalised to sum to one.
FAKE_FEATURES = ("f_home", "f_draw", "f_away")


class FakeV2Predictor:
    """A v2 predictor that knows some match ids; ``delay``, ``version``, ``is_ready`` and ``fail_status`` may change
    while it runs."""

    def __init__(self, known: dict[str, tuple[float, float, float]], *, version: str = "1", delay: float = 0.0) -> None:
        self.known = dict(known)
        self.version = version
        self.delay = delay
        self.is_ready = True
        self.fail_status: int | None = None  # answer every inference with this HTTP status
        self.infer_calls = 0
        self.app = self._build()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    async def _metadata(self) -> dict[str, Any]:
        if self.delay:
            await asyncio.sleep(self.delay)
        # The real predictor's metadata (serving.predictor.protocol), for a three-column model: they cannot drift apart.
        return model_metadata(MODEL, self.champion)

    @property
    def champion(self) -> Champion:
        """What the fake claims to serve: ``version`` under the champion alias, three features."""
        return Champion(self.version, FAKE_FEATURES, estimator=None, engine="fake", alias=ALIAS_CHAMPION)

    def _probabilities(self, tensor: dict[str, Any]) -> list[tuple[float, float, float]] | str:
        if tensor["name"] == "features":
            width = tensor["shape"][1]
            rows = [tensor["data"][i : i + width] for i in range(0, len(tensor["data"]), width)]
            return [(r[0] / sum(r), r[1] / sum(r), r[2] / sum(r)) for r in rows]
        unknown = [m for m in tensor["data"] if m not in self.known]
        return f"unknown match id(s): {', '.join(unknown)}" if unknown else [self.known[m] for m in tensor["data"]]

    async def _infer(self, body: dict[str, Any]) -> JSONResponse:
        self.infer_calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail_status is not None:
            return JSONResponse({"error": "model not loaded"}, status_code=self.fail_status)
        probs = self._probabilities(body["inputs"][0])
        if isinstance(probs, str):  # named as the real predictor names them
            unknown = [m for m in dict.fromkeys(body["inputs"][0]["data"]) if m not in self.known]
            return JSONResponse({"error": probs, "unknown_match_ids": unknown}, status_code=400)
        outputs = [
            {
                "name": "probabilities",
                "datatype": "FP32",
                "shape": [len(probs), 3],
                "data": [x for p in probs for x in p],
            },
            {"name": "model_version", "datatype": "BYTES", "shape": [len(probs)], "data": [self.version] * len(probs)},
        ]
        return JSONResponse(
            {"model_name": MODEL, "model_version": self.version, "id": body.get("id") or str(uuid.uuid4()),
             "outputs": outputs}
        )  # fmt: skip

    def _build(self) -> FastAPI:
        app = FastAPI()
        app.get("/v2/health/live")(lambda: {"live": True})
        app.get("/v2/health/ready")(lambda: {"ready": self.is_ready})
        app.get(f"/v2/models/{MODEL}")(self._metadata)

        @app.get(f"/v2/models/{MODEL}/ready")
        def model_ready() -> JSONResponse:
            return JSONResponse({"name": MODEL, "ready": self.is_ready}, status_code=200 if self.is_ready else 503)

        app.post(f"/v2/models/{MODEL}/infer")(self._infer)
        return app

    def start(self) -> FakeV2Predictor:
        """Serve on a free loopback port; returns self with ``url`` set."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake predictor did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Shut the server down."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def __enter__(self) -> FakeV2Predictor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class StubPredictor:
    """In-process predictor: known match ids answer, others raise UnknownMatchError; ``error`` fails every call.

    ``names_unknown`` makes the error name the unknown ids, as the real predictor's 400 does; without it the caller
    cannot tell which ids were refused (an older predictor).
    """

    def __init__(
        self, known: dict[str, tuple[float, float, float]], *, version: str = "1", names_unknown: bool = False
    ) -> None:
        self.known = dict(known)
        self.names_unknown = names_unknown
        self.version = version
        self.model_version: str | None = version
        self.error: Exception | None = None

    async def infer(self, match_ids: list[str]) -> InferResult:
        if self.error is not None:
            raise self.error
        unknown = [m for m in match_ids if m not in self.known]
        if unknown:
            raise UnknownMatchError(f"unknown match id(s): {unknown}", unknown if self.names_unknown else ())
        return InferResult(model_version=self.version, probabilities=tuple(self.known[m] for m in match_ids))

    async def metadata(self) -> ModelMetadata:
        if self.error is not None:
            raise self.error
        return ModelMetadata(name=MODEL, versions=(self.version,), platform="stub")

    async def ready(self) -> str:
        return "unreachable" if self.error is not None else "ok"

    async def aclose(self) -> None:
        return None
