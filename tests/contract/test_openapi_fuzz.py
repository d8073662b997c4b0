"""Schemathesis against the facade's own OpenAPI document, served by uvicorn on loopback, with a valid API key.

Every built-in check is on (no 5xx, every status and header documented, bodies match their schemas, valid input
accepted, invalid input rejected, auth enforced, unsupported methods answered 405); only max_response_time is off,
since timings belong in bench/. The examples, coverage and fuzzing phases run with a fixed seed and derandomised
generation, so CI sends the same requests every run.
The doubles are the ones of the other facade tests: the in-process predictor, a local object store with
published predictions, cards, drift (summary, report, history) and the champion's evaluation, and the embedded
SQLite broker and result backend.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pandas as pd
import pytest
import schemathesis
import uvicorn
from api_doubles import StubPredictor, eventually
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.api.routers import example_of
from soccerpredict.artifacts import (
    CARDS_KEY,
    DRIFT_HISTORY_KEY,
    DRIFT_REPORT_KEY,
    DRIFT_SUMMARY_KEY,
    MODEL_EVALUATION_KEY,
    PREDICTIONS_KEY,
)
from soccerpredict.data.store import ObjectStore
from soccerpredict.models.report import ModelEvaluation
from soccerpredict.monitoring.drift_history import DriftHistory
from soccerpredict.reference_docs import openapi_spec
from soccerpredict.settings import Settings

KEY = "fuzz-test-key-0123456789"
MATCH = "E0-20240817-arsenal-wolves"
#: Examples per operation and phase: enough to reach every parameter's edges, small enough for well under a minute.
MAX_EXAMPLES = 25

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20261203,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        "checks": {"enabled": True},
        "auth": {"openapi": {"ApiKey": {"api_key": KEY}}},
    }
)


def _publish(store: ObjectStore) -> None:
    frame = pd.DataFrame(
        [(MATCH, "E0", "2024-08-17", "Arsenal", "Wolves"), ("SP1-20240818-sevilla-villarreal", "SP1", "2024-08-18",
          "Sevilla", "Villarreal")],
        columns=["match_id", "div", "date", "home_team", "away_team"],
    )  # fmt: skip
    frame["date"] = pd.to_datetime(frame["date"])
    frame["p_home"], frame["p_draw"], frame["p_away"] = 0.5, 0.3, 0.2
    frame["model_version"] = "7"
    frame["features_as_of"] = pd.Timestamp("2024-08-16 06:00")
    frame["status"] = "upcoming"
    store.write_parquet(PREDICTIONS_KEY, frame)
    store.write_json(CARDS_KEY, [{"match_id": MATCH, "home_team": "Arsenal", "p_home": 0.5}])
    store.write_json(DRIFT_SUMMARY_KEY, {"drifted_share": 0.0, "drifted_features": [], "features": []})
    store.write_bytes(DRIFT_REPORT_KEY, b"<html><body>drift report</body></html>")
    store.write_bytes(
        DRIFT_HISTORY_KEY, DriftHistory.model_validate(example_of(DriftHistory)).model_dump_json().encode()
    )
    store.write_bytes(
        MODEL_EVALUATION_KEY, ModelEvaluation.model_validate(example_of(ModelEvaluation)).to_json().encode()
    )


@pytest.fixture(scope="module")
def facade_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The facade, with its published objects loaded, on a free loopback port."""
    root: Path = tmp_path_factory.mktemp("fuzz")
    store = ObjectStore((root / "store").as_uri())
    _publish(store)
    settings = Settings(home=root / "home", store_uri=store.root, api_keys=[KEY])
    app = create_app(
        settings, predictor=StubPredictor({MATCH: (0.5, 0.3, 0.2)}), store=store, registry=CollectorRegistry()
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        assert eventually(lambda: server.started, timeout=30.0), "the facade did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# The document is built offline at collection (schemathesis' fixture-based loader does not run under pytest 9); the
# requests go to the `facade_url` server, which serves the same document.
SPEC = openapi_spec()
schema = schemathesis.openapi.from_dict(SPEC, config=CONFIG)


def test_the_server_serves_the_document_under_test(facade_url: str) -> None:
    assert httpx.get(f"{facade_url}/openapi.json").json() == SPEC


@schema.parametrize()
def test_the_facade_honours_its_openapi_document(case: schemathesis.Case, facade_url: str) -> None:
    case.call_and_validate(base_url=facade_url)
