"""``python -m serving.predictor`` for real: it listens on loopback only, HTTP and gRPC, and refuses an anonymous
unload (issue #16, defect 1). No champion in its registry, so it runs unready, which is all this needs.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serving.stack import REPO, free_port, stop_process

STARTUP_SECONDS = 180.0
MODEL = "soccer-1x2"


def listening(port: int) -> set[str]:
    """The local addresses of the sockets in LISTEN state on ``port`` (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state != "0A" or int(hex_port, 16) != port:
                continue
            raw = bytes.fromhex(address)
            # The kernel prints each 32-bit word in host (little-endian) order.
            packed = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
            text = socket.inet_ntop(family, packed)
            found.add(text.removeprefix("::ffff:"))  # gRPC listens on an IPv6 socket for a v4-mapped address
    return found


@pytest.fixture(scope="module")
def predictor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, int, Path]]:
    root = tmp_path_factory.mktemp("listen")
    port, grpc_port = free_port(), free_port()
    while grpc_port == port:
        grpc_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SOCCER_BIND_HOST", "SOCCER_PREDICTOR_ADMIN_KEY")}
    env |= {
        "SOCCER_HOME": str(root / "home"),
        "SOCCER_PREDICTOR_PORT": str(port),
        "SOCCER_PREDICTOR_GRPC_PORT": str(grpc_port),
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
        "SOCCER_CHAMPION_POLL_SECONDS": "3600",
    }
    env.pop("SOCCER_REDIS_URL", None)
    log = root / "predictor.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "serving.predictor"], cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(f"{base}/v2/health/live", timeout=2).status_code == 200 and listening(grpc_port):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            raise AssertionError(f"predictor not live after {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")
        yield base, port, grpc_port, log
    finally:
        stop_process(process, grace=30)


def test_http_and_grpc_listen_on_loopback_only(predictor: tuple[str, int, int, Path]) -> None:
    _, port, grpc_port, _ = predictor
    assert listening(port) == {"127.0.0.1"}
    assert listening(grpc_port) == {"127.0.0.1"}


def test_an_anonymous_client_cannot_unload_or_load(predictor: tuple[str, int, int, Path]) -> None:
    base, _, _, _ = predictor
    for action in ("unload", "load"):
        response = httpx.post(f"{base}/v2/repository/models/{MODEL}/{action}", timeout=30)
        assert response.status_code == 403, response.text
    assert httpx.get(f"{base}/v2/models/{MODEL}").status_code == 200  # the model is still registered


def test_client_errors_leave_no_traceback_in_the_log(predictor: tuple[str, int, int, Path]) -> None:
    base, _, _, log = predictor
    body = {"inputs": [{"name": "match_id", "shape": [1], "datatype": "BYTES", "data": ["x"]}]}
    for _ in range(3):
        assert httpx.post(f"{base}/v2/models/{MODEL}/infer", json=body).status_code == 503  # no champion yet
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert text.count("503 POST /v2/models/soccer-1x2/infer") == 3
