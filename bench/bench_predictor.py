"""Benchmark: single-row v2 inference on the predictor, side by side with a no-op kserve model.

    .venv/bin/python bench/bench_predictor.py [--requests 2000] [--redis-url redis://127.0.0.1:6379/13]

Both servers run the same way: one process each, ``kserve.ModelServer`` (uvicorn, one worker),
loopback only. The predictor serves a tiny logistic regression registered @champion in a scratch
MLflow SQLite store, with a features snapshot in a scratch object store and the real Redis; the
no-op model answers every request with constant probabilities in the same output format.
Measured per server and input: p50/p99 latency at concurrency 1 and 16 and throughput
(``--requests`` per measurement after 100 warm-up requests), sent over raw keep-alive connections so
the client costs little of the two cores it shares with the server. Prints a markdown table and the
ratio of predictor to no-op throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from loadgen import Connection, start

from serving.stack import free_port

REPO = Path(__file__).resolve().parents[1]
MODEL = "soccer-1x2"
FEATURES = ("elo_diff", "form_home_points", "form_away_points", "rest_days_diff")
WARMUP = 100


def serve_noop(port: int) -> None:
    """The baseline: a kserve model that validates nothing and returns constant probabilities."""
    from kserve import Model, ModelServer

    from serving.predictor.protocol import build_response

    class NoopModel(Model):
        def __init__(self) -> None:
            super().__init__(MODEL)
            self.ready = True

        async def predict(self, payload: Any, headers: Any = None, response_headers: Any = None) -> Any:
            n = int(payload.inputs[0].shape[0])
            return build_response(payload, np.full((n, 3), 1 / 3, dtype=np.float32), "noop", self.name)

    ModelServer(http_port=port, enable_grpc=False).start([NoopModel()])


def register_champion(tracking_uri: str, artifacts: str) -> str:
    """A tiny logistic regression, logged and aliased the way the training pipeline does it."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(500, len(FEATURES))), columns=list(FEATURES))
    model = LogisticRegression(max_iter=500).fit(x, pd.cut(x["elo_diff"] + rng.normal(size=500), 3, labels=False))
    mlflow.set_tracking_uri(tracking_uri)
    experiment = MlflowClient().create_experiment("bench-predictor", artifact_location=artifacts)
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
    return str(info.registered_model_version)


def wait_ready(base: str, log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/v2/models/{MODEL}/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base} not ready after {seconds} s:\n{log.read_text()[-3000:]}")


def infer_request(port: int, body: dict[str, Any]) -> bytes:
    """The bytes of one POST /infer, built once and sent as often as needed."""
    payload = json.dumps(body).encode()
    head = (
        f"POST /v2/models/{MODEL}/infer HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    return head.encode() + payload


async def _expect_ok(connection: Connection, request: bytes) -> None:
    status = await connection.send(request)
    if status != 200:
        raise RuntimeError(f"unexpected response status {status}")


async def measure(port: int, body: dict[str, Any], concurrency: int, requests: int) -> dict[str, float]:
    """Latency percentiles and throughput of ``requests`` POSTs with ``concurrency`` in flight."""
    request = infer_request(port, body)
    connections = [await Connection.open(port) for _ in range(concurrency)]
    for i in range(WARMUP):
        await _expect_ok(connections[i % concurrency], request)
    latencies: list[float] = []
    remaining = requests

    async def worker(connection: Connection) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            start = time.perf_counter()
            await _expect_ok(connection, request)
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - began
    for connection in connections:
        await connection.close()
    ms = np.array(latencies) * 1000
    return {"p50": float(np.percentile(ms, 50)), "p99": float(np.percentile(ms, 99)), "rps": len(ms) / elapsed}


def run(args: argparse.Namespace, scratch: Path, tag: str) -> list[tuple[str, str, int, dict[str, float]]]:
    from soccerpredict.artifacts import MATCH_FEATURES_KEY
    from soccerpredict.data.store import ObjectStore

    if args.home:  # the real champion and features snapshot of a finished `make run` / pipeline run
        home = Path(args.home).resolve()
        tracking_uri, store_uri = f"sqlite:///{home / 'mlflow.db'}", (home / "store").as_uri()
        snapshot = ObjectStore(store_uri).read_parquet(MATCH_FEATURES_KEY)
        import mlflow

        mlflow.set_tracking_uri(tracking_uri)
        version = str(mlflow.MlflowClient().get_model_version_by_alias(MODEL, "champion").version)
        columns = [
            c for c in snapshot.columns if c not in {"match_id", "div", "date", "home_team", "away_team", "status"}
        ]
        row = snapshot[columns].astype("float32").fillna(0.0).iloc[-1].tolist()
        feature_body = {"inputs": [{"name": "features", "shape": [1, len(row)], "datatype": "FP32", "data": row}]}
        match_id = str(snapshot["match_id"].iloc[-1])
        print(f"serving the champion v{version} of {home} ({len(columns)} features)", flush=True)
    else:
        tracking_uri, store_uri = f"sqlite:///{scratch / 'mlflow.db'}", (scratch / "store").as_uri()
        print(f"registering the champion in {tracking_uri} ...", flush=True)
        version = register_champion(tracking_uri, (scratch / "mlartifacts").as_uri())
        snapshot = pd.DataFrame(np.random.default_rng(1).normal(size=(100, 4)), columns=list(FEATURES))
        snapshot.insert(0, "match_id", [f"B{tag}-{i}" for i in range(100)])
        ObjectStore(store_uri).write_parquet(MATCH_FEATURES_KEY, snapshot)
        data = [0.2, 1.5, 1.1, -2.0]
        feature_body = {"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": data}]}
        match_id = f"B{tag}-7"

    ports = {"predictor": free_port(), "no-op": free_port()}
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SOCCER_HOME": str(scratch / "home"),
        "SOCCER_PREDICTOR_PORT": str(ports["predictor"]),
        "SOCCER_STORE_URI": store_uri,
        "SOCCER_REDIS_URL": args.redis_url,
        "MLFLOW_TRACKING_URI": tracking_uri,
    }
    processes = [
        start([sys.executable, "-m", "serving.predictor"], env, scratch / "predictor.log"),
        start([sys.executable, __file__, "--serve-noop", str(ports["no-op"])], env, scratch / "noop.log"),
    ]
    try:
        for name, log in (("predictor", "predictor.log"), ("no-op", "noop.log")):
            wait_ready(f"http://127.0.0.1:{ports[name]}", scratch / log)
        print(f"both servers ready (champion version {version}); measuring ...", flush=True)
        features = feature_body
        match = {"inputs": [{"name": "match_id", "shape": [1], "datatype": "BYTES", "data": [match_id]}]}
        cases = [("no-op", "features", features), ("predictor", "features", features)]
        cases.append(("predictor", "match_id (cached)", match))
        for server, _, body in cases:  # one checked answer each, with a real client
            answer = httpx.post(f"http://127.0.0.1:{ports[server]}/v2/models/{MODEL}/infer", json=body)
            assert answer.status_code == 200 and answer.json()["outputs"][0]["shape"] == [1, 3], answer.text
        results = []
        for concurrency in (1, 16):  # interleaved, so drift in machine load hits every server alike
            for server, label, body in cases:
                stats = asyncio.run(measure(ports[server], body, concurrency, args.requests))
                results.append((server, label, concurrency, stats))
                print(f"  {server:9} {label:18} c={concurrency:<2} {stats}", flush=True)
        return results
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)


def report(results: list[tuple[str, str, int, dict[str, float]]], requests: int) -> None:
    print(f"\n{requests} single-row requests per row; {platform.node()}, {os.cpu_count()} CPUs, ", end="")
    print("load average {:.1f} {:.1f} {:.1f}\n".format(*os.getloadavg()))
    print("| server | input | concurrency | p50 ms | p99 ms | requests/s |")
    print("|---|---|---:|---:|---:|---:|")
    for server, label, concurrency, s in results:
        print(f"| {server} | {label} | {concurrency} | {s['p50']:.2f} | {s['p99']:.2f} | {s['rps']:.0f} |")
    baseline = {c: s["rps"] for server, _, c, s in results if server == "no-op"}
    print()
    for server, label, concurrency, s in results:
        if server == "predictor":
            ratio = s["rps"] / baseline[concurrency]
            print(f"- predictor {label} at concurrency {concurrency}: {ratio:.0%} of no-op throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="requests per measurement")
    parser.add_argument("--redis-url", default=os.environ.get("SOCCER_TEST_REDIS_URL", "redis://127.0.0.1:6379/13"))
    parser.add_argument("--home", help="SOCCER_HOME of a finished `make run`: serve its real champion")
    parser.add_argument("--serve-noop", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_noop:
        sys.argv = sys.argv[:1]  # kserve parses sys.argv on import
        serve_noop(args.serve_noop)
        return
    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="bench-predictor-") as scratch:
        try:
            report(run(args, Path(scratch), tag), args.requests)
        finally:
            if args.redis_url:
                import redis

                conn = redis.Redis.from_url(args.redis_url)
                keys = list(conn.scan_iter(match=f"predict:B{tag}-*", count=1000))
                if keys:
                    conn.delete(*keys)


if __name__ == "__main__":
    main()
