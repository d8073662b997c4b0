"""Benchmark: CPU per call of httpx's and aiohttp's async clients, the choice behind the facade's predictor client.

    .venv/bin/python bench/bench_http_clients.py [--requests 2000]

Serves a one-route FastAPI app (uvicorn, its own process, loopback) that answers a v2-sized JSON POST, then
sends it ``--requests`` sequential POSTs with each client after 200 warm-up calls, and prints the wall time and
this process's CPU time (``time.process_time``) per call: the server's cost is the same for both and is not
counted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time

import aiohttp
import httpx

from serving.stack import free_port

BODY = {"inputs": [{"name": "match_id", "datatype": "BYTES", "shape": [1], "data": ["E0-20240817-everton-brighton"]}]}
WARMUP = 200


def serve(port: int) -> None:
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/infer")
    async def infer(body: dict[str, object]) -> dict[str, object]:
        return {"outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [1, 3], "data": [0.5, 0.3, 0.2]}]}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


async def with_httpx(url: str, n: int) -> tuple[float, float]:
    async with httpx.AsyncClient() as client:
        for _ in range(WARMUP):
            (await client.post(url, json=BODY)).json()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            (await client.post(url, json=BODY)).json()
        return time.perf_counter() - wall, time.process_time() - cpu


async def with_aiohttp(url: str, n: int) -> tuple[float, float]:
    async with aiohttp.ClientSession() as session:
        for _ in range(WARMUP):
            async with session.post(url, json=BODY) as response:
                await response.json()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            async with session.post(url, json=BODY) as response:
                await response.json()
        return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    port = free_port()
    server = multiprocessing.Process(target=serve, args=(port,), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/infer"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.post(url, json=BODY).raise_for_status()
            break
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise SystemExit("the test server did not start") from None
            time.sleep(0.2)
    try:
        print("| client | wall ms per call | client CPU ms per call |\n|---|---:|---:|")
        for name, run in (("httpx.AsyncClient", with_httpx), ("aiohttp.ClientSession", with_aiohttp)):
            wall, cpu = asyncio.run(run(url, args.requests))
            print(f"| {name} | {wall / args.requests * 1000:.3f} | {cpu / args.requests * 1000:.3f} |")
    finally:
        server.terminate()
        server.join(10)


if __name__ == "__main__":
    main()
