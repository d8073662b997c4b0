"""A real `mlflow server` for tests, run as manifests/base/mlflow/deployment.yaml runs it in the cluster.

The backend store is a PostgreSQL database and the artefacts are proxied (``--serve-artifacts``) to an S3 bucket,
so only the server holds the S3 keys: the clients under test get none.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from s3_server import KEYS

from serving.stack import free_port, stop_process

__all__ = ["MLFLOW_BUCKET", "MlflowServer", "running_mlflow_server"]

#: The bucket the test server proxies artefacts to (the cluster's is "mlflow" too).
MLFLOW_BUCKET = "mlflow"

#: Server start to a healthy /health took 19-23 s on this machine (STACK.md 3c); creating the tables costs more.
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class MlflowServer:
    """A running server: its tracking URI and where it keeps what it is given."""

    url: str
    backend_store_uri: str
    artifacts_destination: str


@contextmanager
def running_mlflow_server(
    *, backend_store_uri: str, artifacts_destination: str, s3_endpoint_url: str, workdir: Path
) -> Iterator[MlflowServer]:
    """Start `mlflow server` on a free 127.0.0.1 port; yield it once /health answers; stop it afterwards."""
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", backend_store_uri]
    command += ["--serve-artifacts", "--artifacts-destination", artifacts_destination]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    env = os.environ | KEYS | {"MLFLOW_S3_ENDPOINT_URL": s3_endpoint_url, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    log = workdir / "mlflow-server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, log)
        yield MlflowServer(url, backend_store_uri, artifacts_destination)
    finally:
        stop_process(process, grace=30)


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll /health; fail with the server's log tail when it exits or stays down past START_TIMEOUT."""
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"mlflow server not up after {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.5)
