"""Benchmark: the cache-miss path under open-loop load, p50/p99 against the offered request rate.

    .venv/bin/soccerpredict demo --check                 # once: a champion and its snapshot under .soccerpredict
    .venv/bin/python bench/bench_miss_rates.py [--home .soccerpredict] [--rates 50,100,200,300,400]
        [--seconds 10] [--pin]

Every request is ``GET /predict/{match_id}`` for a match not asked before in that step (the private Redis is
flushed before each rate), so each one crosses the facade, Redis and the KServe predictor: the miss path.

Open loop: request *i* of a step is due at ``i / rate`` seconds after the step starts, whatever happened to the
requests before it, and its latency is counted from that due time. A server that falls behind therefore shows
its queueing in the latency (a closed loop with N clients would instead slow its own sending down and hide
it). Each request goes over an idle keep-alive connection, or a new one when all are busy.

``--pin`` runs the cluster's layout as far as two cores allow: the facade on CPU 0, the predictor on CPU 1
(``taskset``), the load generator and Redis on CPU 1 beside the predictor. Without it nothing is pinned.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
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
KEY = "bench-miss-key"
#: An idle connection older than this is closed, not reused: uvicorn closes one idle for 5 s, and a request sent
#: on it as it closes fails (HTTP clients expire their pooled connections the same way, httpx after 5 s).
KEEPALIVE_EXPIRY = 4.0
#: Matches asked for before the measured steps (cold predictor start, connection set-up); never reused after.
WARMUP = 200


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


async def open_loop(port: int, paths: list[str], rate: float) -> dict[str, Any]:
    """Send one request per path, request i due at i / rate s; latencies counted from the due time."""
    built = [get_request(port, p) for p in paths]
    idle: list[tuple[Connection, float]] = []  # with the time each was last used
    opened = 0
    latencies = np.zeros(len(built))
    statuses: dict[int, int] = {}
    loop = asyncio.get_running_loop()

    async def one(i: int, due: float) -> None:
        nonlocal opened
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        while idle and loop.time() - idle[-1][1] > KEEPALIVE_EXPIRY:
            stale, _ = idle.pop()  # the server may have closed it (uvicorn's keep-alive timeout is 5 s)
            await stale.close()
        if idle:
            connection, _ = idle.pop()
        else:
            connection = await Connection.open(port)
            opened += 1
        try:
            status = await connection.send(built[i])
        except (ConnectionError, asyncio.IncompleteReadError):
            status = 0
            await connection.close()
        else:
            idle.append((connection, loop.time()))
        latencies[i] = loop.time() - due
        statuses[status] = statuses.get(status, 0) + 1

    began = loop.time() + 0.05
    await asyncio.gather(*(one(i, began + i / rate) for i in range(len(built))))
    elapsed = loop.time() - began
    for connection, _ in idle:
        await connection.close()
    ms = latencies * 1000
    return {
        "p50": float(np.percentile(ms, 50)),
        "p99": float(np.percentile(ms, 99)),
        "achieved": len(built) / elapsed,
        "errors": sum(n for status, n in statuses.items() if status != 200),
        "statuses": dict(sorted(statuses.items())),  # 0: the connection failed (closed or reset) before an answer
        "connections": opened,
    }


def taskset(cpu: int | None, command: list[str]) -> list[str]:
    return command if cpu is None else ["taskset", "-c", str(cpu), *command]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--home", default=".soccerpredict", help="SOCCER_HOME of a finished `soccerpredict demo`")
    parser.add_argument("--rates", default="50,100,200,300,400", help="offered request rates, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each rate step")
    parser.add_argument("--pin", action="store_true", help="facade on CPU 0, predictor, Redis and client on CPU 1")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    home = Path(args.home).resolve()
    if not (home / "mlflow.db").exists():
        raise SystemExit(f"no registry under {home}: run `soccerpredict demo --check` first (or pass --home)")
    if args.pin and (shutil.which("taskset") is None or (os.cpu_count() or 1) < 2):
        raise SystemExit("--pin needs taskset and at least two CPUs")
    from soccerpredict.data.store import ObjectStore

    features = ObjectStore((home / "store").as_uri()).read_parquet("features/latest/match_features.parquet")
    match_ids = [str(m) for m in features["match_id"]]
    needed = WARMUP + int(max(rates) * args.seconds)
    if len(match_ids) < needed:
        raise SystemExit(f"{len(match_ids)} matches in the snapshot, {needed} needed: fewer --seconds or lower --rates")
    facade_cpu, back_cpu = (0, 1) if args.pin else (None, None)
    if back_cpu is not None:
        os.sched_setaffinity(0, {back_cpu})  # the load generator beside the predictor, off the facade's core
    ports = {name: free_port() for name in ("redis", "predictor", "api")}
    redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
    with tempfile.TemporaryDirectory(prefix="bench-miss-") as scratch_name:
        scratch = Path(scratch_name)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO),
            "SOCCER_HOME": str(home),
            "SOCCER_API_KEYS": json.dumps([KEY]),
            "SOCCER_REDIS_URL": redis_url,
            "SOCCER_PREDICTOR_PORT": str(ports["predictor"]),
            "SOCCER_PREDICTOR_URL": f"http://127.0.0.1:{ports['predictor']}",
            "SOCCER_CACHE_LOCAL_TTL_SECONDS": "0",
            "MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        }
        redis_cmd = ["redis-server", "--port", str(ports["redis"]), "--bind", "127.0.0.1", "--save", ""]
        redis_cmd += ["--appendonly", "no", "--dir", str(scratch)]
        processes = [
            start(taskset(back_cpu, redis_cmd), env, scratch / "redis.log", REPO),
            start(taskset(back_cpu, [sys.executable, "-m", "serving.predictor"]), env, scratch / "predictor.log", REPO),
            start(
                taskset(facade_cpu, [sys.executable, "-m", "serving.api", "--port", str(ports["api"])]),
                env,
                scratch / "api.log",
                REPO,
            ),
        ]
        rows: list[tuple[float, dict[str, Any]]] = []
        try:
            api = f"http://127.0.0.1:{ports['api']}"
            wait_ok(f"http://127.0.0.1:{ports['predictor']}/v2/models/soccer-1x2/ready", scratch / "predictor.log")
            wait_ok(f"{api}/health/ready", scratch / "api.log")
            import redis as redis_lib

            cache = redis_lib.Redis.from_url(redis_url)
            paths = [f"/predict/{m}" for m in match_ids]
            asyncio.run(open_loop(ports["api"], paths[:WARMUP], 50.0))
            for rate in rates:
                cache.flushdb()
                step = paths[WARMUP : WARMUP + int(rate * args.seconds)]
                stats = asyncio.run(open_loop(ports["api"], step, rate))
                rows.append((rate, stats))
                print(f"  offered {rate:.0f}/s: {stats}", flush=True)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                process.wait(30)
    layout = "facade on CPU 0; predictor, Redis and client on CPU 1" if args.pin else "nothing pinned"
    print(
        f"\n{platform.node()}, {os.cpu_count()} CPUs, {layout}, {args.seconds:g} s per rate, load average "
        + "{:.1f} {:.1f} {:.1f}\n".format(*os.getloadavg())
    )
    print("| offered requests/s | achieved requests/s | p50 ms | p99 ms | errors | connections |")
    print("|---:|---:|---:|---:|---:|---:|")
    for rate, s in rows:
        print(
            f"| {rate:.0f} | {s['achieved']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {s['errors']} | "
            f"{s['connections']} |"
        )


if __name__ == "__main__":
    main()
