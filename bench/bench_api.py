"""Benchmark: the FastAPI facade in front of the real champion, side by side with a no-op FastAPI route.

    .venv/bin/soccerpredict demo --check                 # once: a champion and its snapshot under .soccerpredict
    .venv/bin/python bench/bench_api.py [--home .soccerpredict] [--requests 2000] [--load 20000]

Starts, as separate processes served the same way (uvicorn, one worker, loopback): the KServe predictor
with the champion of ``--home``, the facade (``python -m serving.api``, twice: see 1.) and a no-op FastAPI app whose one
route returns a prediction-shaped JSON without doing anything. A private ``redis-server`` on a free port
is the cache (so stopping it touches nothing else on the machine). Measured:

1. cache-hit ``GET /predict/{match_id}``: p50/p99 and throughput at concurrency 1 and 16, and the same for
   the no-op route (interleaved), as a ratio; once for the facade as configured (repeats answered by its
   in-process tier) and once for a second facade with that tier off (every hit a Redis round trip);
2. cache-miss end to end (facade, Redis, predictor): every request a different match, cache flushed first,
   p50/p99 at concurrency 16;
3. load: ``--load`` requests at concurrency 32 over the published matches, Redis killed halfway; every
   non-200 answer counts as an error.

Requests go over raw HTTP/1.1 keep-alive connections so the client costs little of the two cores.
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
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from loadgen import Connection, start

from serving.stack import free_port

REPO = Path(__file__).resolve().parents[1]
KEY = "bench-api-key"
WARMUP = 100


def noop_app() -> Any:
    """The baseline: FastAPI, one GET route with a path parameter, a prediction-shaped answer, no work."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/predict/{match_id}")
    async def noop(match_id: str) -> dict[str, Any]:
        return {"match_id": match_id, "model_version": "0", "p_home": 0.4, "p_draw": 0.3, "p_away": 0.3}

    return app


def wait_ok(url: str, log: Path, headers: dict[str, str] | None = None, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, headers=headers).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} not ready after {seconds} s:\n{log.read_text()[-3000:]}")


def get_request(port: int, path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-API-Key: {KEY}\r\n\r\n".encode()


async def measure(
    port: int, paths: list[str], concurrency: int, requests: int, *, warmup: int = WARMUP, halfway: Any = None
) -> dict[str, float]:
    """Send ``requests`` GETs cycling over ``paths`` with ``concurrency`` in flight; latency, throughput, errors."""
    built = [get_request(port, p) for p in paths]
    connections = [await Connection.open(port) for _ in range(concurrency)]
    for i in range(warmup):
        await connections[i % concurrency].send(built[i % len(built)])
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    sent = 0

    async def worker(connection: Connection) -> None:
        nonlocal sent
        while sent < requests:
            i = sent
            sent += 1
            if halfway is not None and i == requests // 2:
                halfway()
            start = time.perf_counter()
            status = await connection.send(built[i % len(built)])
            latencies.append(time.perf_counter() - start)
            statuses[status] = statuses.get(status, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in connections))
    elapsed = time.perf_counter() - began
    for connection in connections:
        await connection.close()
    ms = np.array(latencies) * 1000
    errors = sum(n for status, n in statuses.items() if status != 200)
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "rps": len(ms) / elapsed,
        "errors": errors,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=".soccerpredict", help="SOCCER_HOME of a finished make run")
    parser.add_argument("--requests", type=int, default=2000, help="requests per latency measurement")
    parser.add_argument("--load", type=int, default=20000, help="requests of the load run (Redis killed halfway)")
    parser.add_argument("--serve-noop", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_noop:
        import uvicorn

        uvicorn.run(noop_app(), host="127.0.0.1", port=args.serve_noop, log_level="warning")
        return
    home = Path(args.home).resolve()
    if not (home / "mlflow.db").exists():
        raise SystemExit(f"no registry under {home}: run `soccerpredict demo --check` first (or pass --home)")
    from soccerpredict.artifacts import PREDICTIONS_KEY
    from soccerpredict.data.store import ObjectStore

    match_ids = ObjectStore((home / "store").as_uri()).read_parquet("features/latest/match_features.parquet")
    all_ids = [str(m) for m in match_ids["match_id"]]
    published = [str(m) for m in ObjectStore((home / "store").as_uri()).read_parquet(PREDICTIONS_KEY)["match_id"]]
    ports = {name: free_port() for name in ("redis", "predictor", "api", "api-redis-only", "noop")}
    redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
    with tempfile.TemporaryDirectory(prefix="bench-api-") as scratch_name:
        scratch = Path(scratch_name)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SOCCER_HOME": str(home),
            "SOCCER_API_KEYS": json.dumps([KEY]),
            "SOCCER_REDIS_URL": redis_url,
            "SOCCER_PREDICTOR_PORT": str(ports["predictor"]),
            "SOCCER_PREDICTOR_URL": f"http://127.0.0.1:{ports['predictor']}",
            "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        }
        redis_cmd = ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", ""]
        redis_cmd += ["--appendonly", "no", "--dir", str(scratch)]
        redis = start(redis_cmd, env, scratch / "redis.log", REPO)
        processes = [
            redis,
            start([sys.executable, "-m", "serving.predictor"], env, scratch / "predictor.log", REPO),
            start([sys.executable, "-m", "serving.api", "--port", str(ports["api"])], env, scratch / "api.log", REPO),
            start(
                [sys.executable, "-m", "serving.api", "--port", str(ports["api-redis-only"])],
                {**env, "SOCCER_CACHE_LOCAL_TTL_SECONDS": "0"},
                scratch / "api-redis-only.log",
                REPO,
            ),
            start([sys.executable, __file__, "--serve-noop", str(ports["noop"])], env, scratch / "noop.log", REPO),
        ]
        try:
            api, noop = f"http://127.0.0.1:{ports['api']}", f"http://127.0.0.1:{ports['noop']}"
            wait_ok(f"http://127.0.0.1:{ports['predictor']}/v2/health/ready", scratch / "predictor.log")
            wait_ok(f"{api}/health/ready", scratch / "api.log")
            wait_ok(f"http://127.0.0.1:{ports['api-redis-only']}/health/ready", scratch / "api-redis-only.log")
            wait_ok(f"{noop}/predict/x", scratch / "noop.log")
            hit = [f"/predict/{published[0]}"]
            answer = httpx.get(api + hit[0], headers={"X-API-Key": KEY}).json()
            print(f"facade ready; {hit[0]} -> {answer}", flush=True)
            rows = []
            for concurrency in (1, 16):  # interleaved so drift in machine load hits both alike
                servers = (
                    ("no-op route", ports["noop"]),
                    ("facade cache hit (in-process tier)", ports["api"]),
                    ("facade cache hit (Redis, in-process tier off)", ports["api-redis-only"]),
                )
                for name, port in servers:
                    stats = asyncio.run(measure(port, hit, concurrency, args.requests))
                    rows.append((name, concurrency, stats))
                    print(f"  {name:18} c={concurrency:<2} {stats}", flush=True)
            import redis as redis_lib

            redis_lib.Redis.from_url(redis_url).flushdb()
            misses = [f"/predict/{m}" for m in all_ids[: args.requests + WARMUP]]
            stats = asyncio.run(measure(ports["api"], misses, 16, args.requests, warmup=0))
            rows.append(("facade cache miss (every match new)", 16, stats))
            print(f"  cache miss c=16 {stats}", flush=True)

            def kill_redis() -> None:
                print("  killing Redis halfway", flush=True)
                redis.kill()

            load_paths = [f"/predict/{m}" for m in all_ids[:500]]
            load = asyncio.run(measure(ports["api"], load_paths, 32, args.load, halfway=kill_redis))
            print(f"  load c=32 {load}", flush=True)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                process.wait(30)
    print(
        f"\n{platform.node()}, {os.cpu_count()} CPUs, load average " + "{:.1f} {:.1f} {:.1f}\n".format(*os.getloadavg())
    )
    print("| what | concurrency | p50 ms | p99 ms | requests/s | errors |\n|---|---:|---:|---:|---:|---:|")
    for name, concurrency, s in rows:
        print(f"| {name} | {concurrency} | {s['p50']:.2f} | {s['p99']:.2f} | {s['rps']:.0f} | {s['errors']} |")
    print(
        f"| load, {args.load} requests over 500 matches, Redis killed halfway | 32 | {load['p50']:.2f} | "
        f"{load['p99']:.2f} | {load['rps']:.0f} | {load['errors']} |"
    )
    by_c = {(name, c): s["rps"] for name, c, s in rows}
    for c in (1, 16):
        for tier in ("in-process tier", "Redis, in-process tier off"):
            ratio = by_c[(f"facade cache hit ({tier})", c)] / by_c[("no-op route", c)]
            print(f"- cache hit ({tier}) at concurrency {c}: {ratio:.0%} of no-op")
    print(f"- load statuses: {load['statuses']}")


if __name__ == "__main__":
    main()
