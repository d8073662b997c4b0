"""The serving stack on one machine: the KServe predictor, the FastAPI facade and a Celery worker as child processes.

What ``make run`` starts after the pipeline: each service is started the way a user or a container starts
it (``python -m serving.predictor``, ``python -m serving.api``, ``celery -A serving.worker worker``), with
the ``SOCCER_*`` environment, its output in a log file, and a readiness wait that names the log when a
service does not come up. :func:`serving.checks.check_endpoints` calls every public endpoint once (``demo --check``).

Each child writes to a pipe; a thread of this process copies its lines into ``<logs>/<name>.log`` through a
``RotatingFileHandler`` (``SOCCER_LOG_MAX_BYTES``, ``SOCCER_LOG_BACKUPS``), so a flood of log lines cannot
fill the disk and every byte a child writes, crash output included, still reaches its log.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import IO, Any

import httpx

from soccerpredict.artifacts import MODEL_NAME
from soccerpredict.errors import ServingError
from soccerpredict.settings import Settings

__all__ = ["LocalStack", "LogPump", "free_port", "stop_process"]

REPO = Path(__file__).resolve().parents[1]


#: Ports free_port has handed out in this process, never handed out twice.
_HANDED_OUT: set[int] = set()
#: The lowest port free_port picks from (below it: well-known and registered services people run).
_LOWEST = 20000


def _ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing connections' local ports (Linux's default when it cannot be read)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


def _bindable(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(preferred: int | None = None) -> int:
    """``preferred`` when nothing listens on it on 127.0.0.1, else a free port for a child process to bind.

    The port is picked below the kernel's ephemeral range, so no outgoing connection (this process's or any
    other's) can take it between this check and the child's bind, which a port the kernel picked (bind to 0)
    can suffer; and it is never handed out twice by one process.
    """
    if preferred and _bindable(preferred):
        _HANDED_OUT.add(preferred)
        return preferred
    low, _ = _ephemeral_range()
    candidates = [port for port in range(_LOWEST, low) if port not in _HANDED_OUT]
    random.shuffle(candidates)
    for port in candidates[:200]:
        if _bindable(port):
            _HANDED_OUT.add(port)
            return port
    with socket.socket() as probe:  # the range below the ephemeral one is full: let the kernel pick
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LogPump:
    """Copies a child's output, line by line, into a size-capped, rotated log file (in a daemon thread)."""

    def __init__(self, stream: IO[bytes], path: Path, *, max_bytes: int, backups: int) -> None:
        self.path = path
        self._stream = stream
        self._handler = RotatingFileHandler(path, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        self._handler.terminator = ""  # each line keeps its own newline
        self._thread = threading.Thread(target=self._copy, name=f"log-{path.stem}", daemon=True)
        self._thread.start()

    def _copy(self) -> None:
        try:
            for line in iter(self._stream.readline, b""):
                self._handler.emit(logging.makeLogRecord({"msg": line.decode("utf-8", errors="replace")}))
        finally:
            self._handler.close()

    def close(self, timeout: float = 10.0) -> None:
        """Wait for the child's last lines (its end of the pipe is closed once it exited)."""
        self._thread.join(timeout)

    def text(self) -> str:
        """The log so far: the newest rotated file, then the current one."""
        parts = [p for p in (self.path.with_name(self.path.name + ".1"), self.path) if p.exists()]
        return "".join(p.read_text(errors="replace") for p in parts)

    def tail(self, lines: int) -> str:
        """The last ``lines`` lines, across the newest rotation."""
        return "\n".join(self.text().splitlines()[-lines:])


@dataclass
class _Service:
    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen[bytes] | None = None
    pump: LogPump | None = None


def stop_process(process: subprocess.Popen[Any], *, grace: float) -> None:
    """SIGTERM, then SIGKILL when the process has not exited after ``grace`` seconds; a stopped one is left alone."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


@dataclass
class LocalStack:
    """Start, wait for and stop the serving processes: predictor, facade, worker and, with ``ui_port``, the web UI.

    Args:
        env: the ``SOCCER_*`` variables every process gets (on top of this process's environment).
        logs: folder for one log file per service.
        log_max_bytes, log_backups: rotation of each log (default: ``SOCCER_LOG_MAX_BYTES``, ``SOCCER_LOG_BACKUPS``).
    """

    env: Mapping[str, str]
    logs: Path
    predictor_port: int
    api_port: int
    log_max_bytes: int | None = None
    log_backups: int | None = None
    ui_port: int | None = None
    services: list[_Service] = field(default_factory=list)

    @property
    def predictor_url(self) -> str:
        """Base URL of the predictor (v2 protocol)."""
        return f"http://127.0.0.1:{self.predictor_port}"

    @property
    def api_url(self) -> str:
        """Base URL of the facade."""
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def ui_url(self) -> str | None:
        """Base URL of the web UI, or None when this stack runs without it."""
        return None if self.ui_port is None else f"http://127.0.0.1:{self.ui_port}"

    def start(self, *, timeout: float = 120.0) -> None:
        """Start the predictor, then the facade and the worker (and the web UI with ``ui_port``); return when ready."""
        self.logs.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        self._spawn("predictor", [python, "-m", "serving.predictor"])
        self._wait_http("predictor", f"{self.predictor_url}/v2/models/{MODEL_NAME}/ready", timeout)
        self._spawn("api", [python, "-m", "serving.api", "--port", str(self.api_port)])
        worker = [python, "-m", "celery", "-A", "serving.worker", "worker", "-Q", "ml,api", "--pool=solo"]
        worker += [
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"demo-{os.getpid()}@%h",
            "-l",
            "INFO",
        ]
        self._spawn("worker", worker)
        self._wait_http("api", f"{self.api_url}/health/ready", timeout)
        self._wait_log("worker", "ready.", timeout)
        if self.ui_port is not None:
            # The web UI calls the facade only; its key comes with env (SOCCER_UI_API_KEY), never in a page.
            ui_env = {"SOCCER_UI_PORT": str(self.ui_port), "SOCCER_UI_API_URL": self.api_url}
            self._spawn("ui", [python, "-m", "serving.ui"], extra_env=ui_env)
            self._wait_http("ui", f"{self.ui_url}/_stcore/health", timeout)

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 10 s), newest first."""
        for service in reversed(self.services):
            if service.process is not None:
                stop_process(service.process, grace=10)
            if service.pump is not None:
                service.pump.close()

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, name: str, command: list[str], *, extra_env: Mapping[str, str] | None = None) -> None:
        service = _Service(name, command, self.logs / f"{name}.log")
        env = {**os.environ, **self.env, **(extra_env or {}), "PYTHONUNBUFFERED": "1"}
        max_bytes, backups = self._rotation()
        service.log.write_bytes(b"")  # a fresh log per start, as before
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        service.process = process
        if process.stdout is not None:  # always: stdout=PIPE
            service.pump = LogPump(process.stdout, service.log, max_bytes=max_bytes, backups=backups)
        self.services.append(service)

    def _rotation(self) -> tuple[int, int]:
        if self.log_max_bytes is not None and self.log_backups is not None:
            return self.log_max_bytes, self.log_backups
        settings = Settings()
        return self.log_max_bytes or settings.log_max_bytes, self.log_backups or settings.log_backups

    def _service(self, name: str) -> _Service:
        return next(s for s in self.services if s.name == name)

    def _exited(self, service: _Service) -> None:
        if service.process is not None and service.process.poll() is not None:
            if service.pump is not None:
                service.pump.close()
            tail = service.pump.tail(25) if service.pump is not None else ""
            raise ServingError(f"{service.name} exited with code {service.process.returncode}; {service.log}:\n{tail}")

    def _wait_http(self, name: str, url: str, timeout: float) -> None:
        service, deadline = self._service(name), time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._exited(service)
            try:
                if httpx.get(url, timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise ServingError(f"{name} not ready at {url} after {timeout:.0f} s; see {service.log}")

    def _wait_log(self, name: str, marker: str, timeout: float) -> None:
        service, deadline = self._service(name), time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._exited(service)
            text = service.pump.text() if service.pump is not None else service.log.read_text(errors="replace")
            if marker in text:
                return
            time.sleep(0.3)
        raise ServingError(f"{name} not ready after {timeout:.0f} s; see {service.log}")
