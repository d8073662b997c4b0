"""TEST DOUBLES for the web UI's tests: the real facade (serving.api.app) over real loopback HTTP, with what the
pipeline would have published written to a local object store first. Not product code.

:func:`serve_facade` starts one in a thread; :func:`publish` writes predictions, cards and drift (summary, report,
history) as the pipeline's stages do (shapes: components/publish.py, the monitor_drift stage).
:class:`NoChampionPredictor` is a predictor that serves no model yet, as the real one answers before any version holds
@champion. :func:`serve_ui` runs
``python -m serving.ui`` as the deployment does, in a child process, until its health probe answers.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import uvicorn
from api_doubles import StubPredictor
from prometheus_client import CollectorRegistry
from report_doubles import BACKTEST
from report_doubles import REPORT as EVALUATION_REPORT

from serving.api.app import create_app
from serving.common.v2_client import ModelMetadata
from serving.stack import free_port
from serving.ui.__main__ import HEALTH_PATH
from soccerpredict.artifacts import (
    CARDS_KEY,
    DRIFT_HISTORY_KEY,
    DRIFT_REPORT_KEY,
    DRIFT_SUMMARY_KEY,
    MODEL_EVALUATION_KEY,
    PREDICTIONS_KEY,
)
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.drift_history import DriftHistory
from soccerpredict.settings import Settings

KEY = "ui-test-key"

#: (match id, division, date, kick-off, home, away, model home/draw/away, market home/draw/away or None)
MATCHES: tuple[tuple[Any, ...], ...] = (
    ("E0-20240817-arsenal-wolves", "E0", "2024-08-17", "15:00", "Arsenal", "Wolves",
     (0.512, 0.241, 0.247), (0.55, 0.23, 0.22)),
    ("E0-20240818-chelsea-man-city", "E0", "2024-08-18", "16:30", "Chelsea", "Man City",
     (0.231, 0.252, 0.517), (0.2, 0.22, 0.58)),
    ("SP1-20240818-sevilla-villarreal", "SP1", "2024-08-18", "19:00", "Sevilla", "Villarreal",
     (0.401, 0.298, 0.301), None),
)  # fmt: skip

DRIFT = {
    "drifted_share": 0.5,
    "drifted_features": ["elo_diff"],
    "reference_rows": 5000,
    "current_rows": 180,
    "features": [
        {"feature": "elo_diff", "score": 0.012, "method": "K-S p_value", "threshold": 0.05, "drifted": True},
        {"feature": "form_home", "score": 0.41, "method": "K-S p_value", "threshold": 0.05, "drifted": False},
    ],
    "current_from": "2024-06-17",
    "current_to": "2024-08-16",
}
REPORT = "<html><body><h1>Evidently drift report (test double)</h1></body></html>"
#: Drifted share of eight weekly monitor_drift runs, oldest first; the last one is :data:`DRIFT`.
HISTORY_SHARES: tuple[float, ...] = (0.0, 0.0, 0.0, 0.5, 0.0, 0.5, 0.5, 0.5)


def drift_history(shares: tuple[float, ...] = HISTORY_SHARES) -> DriftHistory:
    """The drift history the monitor_drift stage would have published after weekly runs with these drifted shares
    (oldest first; the last one on 2024-08-16)."""
    last = pd.Timestamp("2024-08-16")
    entries = []
    for weeks_ago, share in zip(range(len(shares) - 1, -1, -1), shares, strict=True):
        to = last - pd.Timedelta(weeks=weeks_ago)
        entries.append({
            "current_from": str((to - pd.Timedelta(days=60)).date()), "current_to": str(to.date()),
            "drifted_share": share, "features_checked": 2, "features_drifted": round(share * 2),
            "computed_at": f"{to.date()}T06:00:00Z",
        })  # fmt: skip
    return DriftHistory.model_validate({"entries": entries})


def tiny_png() -> bytes:
    """A real 4x4 PNG (the reliability plot's stand-in)."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def model_evaluation(
    version: str = "7", *, plot: bytes | None = None, backtest: bool = True, backtest_plot: bytes | None = None
) -> bytes:
    """What batch_inference publishes for champion ``version``: its report, card and reliability plot (``plot``, by
    default :func:`tiny_png`) and, with ``backtest``, its backtest report and plot (``backtest_plot``, by default
    :func:`tiny_png`)."""
    published: dict[str, Any] = {
        "model": "soccer-1x2",
        "version": version,
        "published_at": "2024-08-16T06:00:00+00:00",
        "evaluation": EVALUATION_REPORT,
        "card": "# Model card: soccer-1x2\n\n![Reliability](reliability.png)\n",
        "reliability_png": base64.b64encode(tiny_png() if plot is None else plot).decode(),
    }
    if backtest:
        png = base64.b64encode(tiny_png() if backtest_plot is None else backtest_plot).decode()
        title = "Model minus closing market RPS by division"
        published["backtest"] = {
            "report": BACKTEST,
            "plots": [{"name": "rps_diff_by_division.png", "title": title, "png": png}],
            "omitted": [],
        }
    return json.dumps(published).encode()


class NoChampionPredictor(StubPredictor):
    """A predictor that serves no model: metadata without a version, readiness refused (as before any @champion)."""

    def __init__(self) -> None:
        super().__init__({})
        self.model_version = None

    async def metadata(self) -> ModelMetadata:
        return ModelMetadata(name="soccer-1x2", versions=(), platform="")

    async def ready(self) -> str:
        return "not ready (HTTP 503)"


def predictions_frame(matches: tuple[tuple[Any, ...], ...] = MATCHES) -> pd.DataFrame:
    """The batch_inference stage's predictions of ``matches``."""
    frame = pd.DataFrame(
        [(m[0], m[1], m[2], m[4], m[5], *m[6]) for m in matches],
        columns=["match_id", "div", "date", "home_team", "away_team", "p_home", "p_draw", "p_away"],
    )
    frame["date"] = pd.to_datetime(frame["date"])
    frame["model_version"] = "7"
    frame["features_as_of"] = pd.Timestamp("2024-08-16 06:00")
    frame["status"] = "upcoming"
    return frame


def cards(matches: tuple[tuple[Any, ...], ...] = MATCHES) -> list[dict[str, Any]]:
    """The build_cards stage's cards of ``matches``."""
    out = []
    for match_id, div, day, kickoff, home, away, model, market in matches:
        card: dict[str, Any] = {
            "match_id": match_id, "division": div, "date": day, "kickoff_time": kickoff, "home_team": home,
            "away_team": away, "status": "scheduled", "result": None,
            "model": dict(zip(("home", "draw", "away"), model, strict=True)), "model_version": "7",
        }  # fmt: skip
        if market is not None:
            card["market"] = dict(zip(("home", "draw", "away"), market, strict=True))
        out.append(card)
    return out


def publish(
    store: ObjectStore,
    matches: tuple[tuple[Any, ...], ...] = MATCHES,
    *,
    drift: bool = True,
    history: tuple[float, ...] | None = HISTORY_SHARES,
    plot: bytes | None = None,
    backtest: bool = True,
    backtest_plot: bytes | None = None,
) -> None:
    """Write what the pipeline publishes: predictions, cards, the champion's evaluation (with ``plot`` as its
    reliability plot, with ``backtest`` its backtest and ``backtest_plot``) and (with ``drift``) the drift summary,
    report and the history of runs with the drifted shares ``history`` (None: none published, as before the first run
    that keeps one)."""
    store.write_parquet(PREDICTIONS_KEY, predictions_frame(matches))
    store.write_bytes(CARDS_KEY, json.dumps(cards(matches)).encode())
    store.write_bytes(MODEL_EVALUATION_KEY, model_evaluation(plot=plot, backtest=backtest, backtest_plot=backtest_plot))
    if drift:
        store.write_bytes(DRIFT_SUMMARY_KEY, json.dumps(DRIFT).encode())
        store.write_bytes(DRIFT_REPORT_KEY, REPORT.encode())
        if history is not None:
            store.write_bytes(DRIFT_HISTORY_KEY, drift_history(history).model_dump_json().encode())


@contextlib.contextmanager
def serve_facade(
    home: Path, *, predictor: Any = None, published: bool = True, port: int = 0, **publish_kw: Any
) -> Iterator[str]:
    """The real facade on loopback ``port`` (by default a free one), over a local store under ``home``; yields its
    URL."""
    store = ObjectStore((home / "store").as_uri())
    if published:
        publish(store, **publish_kw)
    settings = Settings(home=home, api_keys=[KEY], precomputed_poll_seconds=60)
    app = create_app(
        settings,
        predictor=predictor if predictor is not None else StubPredictor({m[0]: m[6] for m in MATCHES}, version="7"),
        store=store,
        registry=CollectorRegistry(),
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", port))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the facade did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


REPO = Path(__file__).resolve().parents[1]


@contextlib.contextmanager
def serve_ui(facade_url: str, *, home: Path, cwd: Path, key: str | None = KEY) -> Iterator[str]:
    """``python -m serving.ui`` on a free loopback port, with ``HOME=home``, talking to ``facade_url``; yields its URL.

    Its output goes to ``home/ui.log``, shown when it does not start.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOCCER_", "STREAMLIT_"))}
    env |= {"HOME": str(home), "PYTHONPATH": str(REPO), "SOCCER_BIND_HOST": "127.0.0.1",
            "SOCCER_UI_PORT": str(port), "SOCCER_UI_API_URL": facade_url}  # fmt: skip
    if key is not None:
        env["SOCCER_UI_API_KEY"] = key
    log = home / "ui.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "serving.ui"], cwd=cwd, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(process, url + HEALTH_PATH, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(process: subprocess.Popen[bytes], health_url: str, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"python -m serving.ui exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(health_url, timeout=2).text == "ok":
                return
        time.sleep(0.2)
    raise RuntimeError(f"python -m serving.ui did not answer {health_url}:\n{log.read_text()}")
