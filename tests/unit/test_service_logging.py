"""Logs of the facade and the worker go through serving.logging_config: their own INFO lines, text or JSON.

The facade runs for real (``python -m serving.api`` on a loopback port, talking to a v2 predictor double): its
INFO line about the predictor's version used to be dropped under uvicorn's logging config (issue #16, defect 4).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from api_doubles import FakeV2Predictor
from logging_state import logging_restored

from serving.logging_config import log_config
from serving.stack import REPO, free_port, stop_process

READY_SECONDS = 120.0


def run_facade(tmp_path: Path, log_format: str) -> str:
    """Start the facade, call its readiness (which asks the predictor its version), stop it; its stderr."""
    port = free_port()
    with FakeV2Predictor({"m1": (0.5, 0.3, 0.2)}).start() as predictor:
        env = {
            **os.environ,
            "SOCCER_HOME": str(tmp_path / "home"),
            "SOCCER_PREDICTOR_URL": predictor.url,
            "SOCCER_API_KEYS": '["k"]',
            "SOCCER_LOG_FORMAT": log_format,
            "PYTHONUNBUFFERED": "1",
        }
        err = tmp_path / "api.err"
        with err.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "serving.api", "--port", str(port)],
                cwd=REPO,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + READY_SECONDS
            while time.monotonic() < deadline:
                assert process.poll() is None, err.read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.3)
            else:
                raise AssertionError(f"facade not ready after {READY_SECONDS} s:\n{err.read_text()}")
        finally:
            stop_process(process, grace=10)
    return err.read_text()


def test_the_facades_own_info_lines_are_logged(tmp_path: Path) -> None:
    text = run_facade(tmp_path, "text")
    assert "serving.common.v2_client INFO predictor serves soccer-1x2 version 1" in text, text
    assert "uvicorn.access INFO" in text and "/health/ready" in text, text


def test_json_logs_are_one_object_per_line(tmp_path: Path) -> None:
    lines = [line for line in run_facade(tmp_path, "json").splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON
    assert {"time", "level", "logger", "process", "message"} <= set(records[0])
    mine = [r for r in records if r["logger"] == "serving.common.v2_client"]
    assert mine and mine[0]["level"] == "INFO" and "version 1" in mine[0]["message"]
    assert any(r["logger"] == "uvicorn.access" and "/health/ready" in r["message"] for r in records)


@pytest.fixture
def restored_logging() -> Iterator[None]:
    with logging_restored():
        yield


@pytest.mark.usefixtures("restored_logging")
def test_the_worker_command_logs_through_the_same_config(capfd: pytest.CaptureFixture[str]) -> None:
    from celery.signals import setup_logging

    import serving.worker.metrics  # noqa: F401  (what the worker command imports; it connects setup_logging)

    # What Celery's worker command sends before configuring logging; a receiver means it configures none.
    assert setup_logging.send(sender=None, loglevel="INFO", logfile=None, format="", colorize=False)
    logging.getLogger("celery.worker.consumer").info("w@h ready.")
    logging.getLogger("serving.worker.tasks").info("job done")
    err = capfd.readouterr().err
    assert "celery.worker.consumer INFO w@h ready." in err and "serving.worker.tasks INFO job done" in err


def test_the_config_rejects_an_unknown_format() -> None:
    with pytest.raises(ValueError, match="text' or 'json"):
        log_config("xml")  # type: ignore[arg-type]
