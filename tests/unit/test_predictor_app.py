"""The predictor's REST app in-process (serving.predictor.app.build_app over kserve's data plane, no server).

The repository routes need the internal key, client errors are one log line, and malformed binary-extension
requests are a 400 with a message (issue #16, defects 1, 4 and 6).
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from predictor_doubles import StaticLoader
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.monitoring.metrics import build

MODEL = "soccer-1x2"
INFER = f"/v2/models/{MODEL}/infer"
KEY = "internal-test-key"


class Records(logging.Handler):
    """Every record of the loggers it is attached to."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records() -> Iterator[Records]:
    # Attached to each logger that may write: kserve's may not propagate (its own config sets propagate False).
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("kserve", "serving", "uvicorn")]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level in saved:
        lg.removeHandler(handler)
        lg.setLevel(level)


def make_client(tmp_path: Path, admin_key: str | None) -> tuple[TestClient, StaticLoader, Any]:
    from kserve.protocol.model_repository_extension import ModelRepositoryExtension

    from serving.common.cache import PredictionCache
    from serving.predictor.app import build_app
    from serving.predictor.binary_request import CheckedDataPlane
    from serving.predictor.features import FeatureSnapshot
    from serving.predictor.model import ChampionRepository, SoccerPredictor

    metrics = build(CollectorRegistry())
    store = ObjectStore(tmp_path.as_uri())
    store.write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1", "m2"], "a": [2.0, -2.0], "b": [0.0, 1.0]}))
    loader = StaticLoader(features=("a", "b"))
    cache = PredictionCache(None, ttl_seconds=60, metrics=metrics, service="predictor")
    predictor = SoccerPredictor(loader, FeatureSnapshot(store), cache, metrics, poll_seconds=3600)
    asyncio.run(predictor.watcher.refresh())
    repository = ChampionRepository(predictor)
    dataplane = CheckedDataPlane(model_registry=repository)
    key = SecretStr(admin_key) if admin_key is not None else None
    app = build_app(predictor, dataplane, ModelRepositoryExtension(model_registry=repository), admin_key=key)
    return TestClient(app, raise_server_exceptions=False), loader, predictor


def match_body(*ids: str) -> dict[str, Any]:
    return {"inputs": [{"name": "match_id", "shape": [len(ids)], "datatype": "BYTES", "data": list(ids)}]}


def binary_body(shape: list[int], payload: bytes, *, size: int | None = None) -> tuple[bytes, int]:
    """A v2 binary-extension body: JSON header, then ``payload``; returns (body, JSON header length)."""
    header = {
        "inputs": [
            {
                "name": "features",
                "shape": shape,
                "datatype": "FP32",
                "parameters": {"binary_data_size": len(payload) if size is None else size},
            }
        ]
    }
    head = json.dumps(header).encode()
    return head + payload, len(head)


def binary_headers(length: str) -> dict[str, str]:
    return {"Content-Type": "application/octet-stream", "Inference-Header-Content-Length": length}


# --- defect 1: the repository routes -------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["load", "unload"])
def test_repository_routes_are_off_without_a_configured_key(tmp_path: Path, action: str) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    with client:
        refused = client.post(f"/v2/repository/models/{MODEL}/{action}", headers={"X-Admin-Key": "guess"})
        assert refused.status_code == 403, refused.text
        assert "SOCCER_PREDICTOR_ADMIN_KEY" in refused.json()["error"]
        assert client.post(INFER, json=match_body("m1")).status_code == 200  # still serving


@pytest.mark.parametrize("given", [None, "wrong", KEY + "x"])
def test_an_anonymous_or_wrong_key_cannot_unload_the_model(tmp_path: Path, given: str | None) -> None:
    client, _, _ = make_client(tmp_path, admin_key=KEY)
    headers = {"X-Admin-Key": given} if given is not None else {}
    with client:
        refused = client.post(f"/v2/repository/models/{MODEL}/unload", headers=headers)
        assert refused.status_code == 401, refused.text
        assert refused.headers["www-authenticate"] == "APIKey"
        assert client.post(INFER, json=match_body("m1")).status_code == 200
        assert client.get(f"/v2/models/{MODEL}/ready").status_code == 200


def test_the_key_reloads_the_champion_now(tmp_path: Path) -> None:
    client, loader, _ = make_client(tmp_path, admin_key=KEY)
    with client:
        loader.version = "2"  # the alias moved
        load = client.post(f"/v2/repository/models/{MODEL}/load", headers={"X-Admin-Key": KEY})
        assert load.status_code == 200, load.text
        assert client.get(f"/v2/models/{MODEL}").json()["versions"] == ["2"]


def test_the_champion_follows_its_alias_without_the_repository_routes(tmp_path: Path) -> None:
    _, loader, predictor = make_client(tmp_path, admin_key=None)
    loader.version = "3"
    assert asyncio.run(predictor.watcher.refresh()) is True  # what each poll does
    assert predictor.watcher.current.version == "3" and predictor.ready


# --- defect 4: client errors are one line --------------------------------------------------------------------


def test_an_unknown_match_is_a_400_logged_in_one_line_without_traceback(tmp_path: Path, records: Records) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    with client:
        response = client.post(INFER, json=match_body("no-such-match"))
    assert response.status_code == 400
    assert "unknown match id(s) 'no-such-match'" in response.json()["error"]
    assert [r for r in records.records if r.exc_info] == []
    assert [r for r in records.records if r.levelno >= logging.ERROR] == []
    lines = [r for r in records.records if "no-such-match" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO and "\n" not in lines[0].getMessage()


def test_a_400_for_unknown_matches_names_every_one_of_them(tmp_path: Path) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    unknown = [f"ghost-{i}" for i in range(1000)]
    with client:
        response = client.post(INFER, json=match_body("m1", *unknown, "ghost-0"))
    assert response.status_code == 400
    assert response.json()["unknown_match_ids"] == unknown  # each once, in order; the known m1 not among them
    assert "and 9" in response.json()["error"]  # the message itself stays short


def test_a_server_error_still_logs_its_traceback(tmp_path: Path, records: Records) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    ObjectStore(tmp_path.as_uri()).write_parquet(MATCH_FEATURES_KEY, pd.DataFrame({"match_id": ["m1"], "a": [1.0]}))
    with client:
        response = client.post(INFER, json=match_body("m1"))
    assert response.status_code == 500, response.text
    assert any(r.levelno >= logging.ERROR and r.exc_info for r in records.records)


# --- defect 6: malformed binary-extension requests ------------------------------------------------------------

FOUR_FLOATS = struct.pack("<4f", 1.0, 0.0, -1.0, 2.0)


def test_a_well_formed_binary_request_is_answered(tmp_path: Path) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    body, length = binary_body([2, 2], FOUR_FLOATS)
    with client:
        response = client.post(INFER, content=body, headers=binary_headers(str(length)))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("shape", "payload", "size", "header", "message"),
    [
        ([2, 2], FOUR_FLOATS, None, "abc", "must be a whole number of bytes"),
        ([2, 2], FOUR_FLOATS, None, "-5", "must be a whole number of bytes"),
        ([2, 2], FOUR_FLOATS, None, "99999", "but the body has"),
        ([2, 2], FOUR_FLOATS[:8], None, None, "malformed binary request"),  # shorter than its shape
        ([2, 2], FOUR_FLOATS, 8, None, "malformed binary request"),  # binary_data_size says less than the shape
        ([2, 2], FOUR_FLOATS, "x", None, "malformed binary request"),  # binary_data_size is not a number
    ],
    ids=["non-numeric header", "negative header", "header past the body", "short data", "short size", "text size"],
)
def test_malformed_binary_requests_are_400_with_a_message(
    tmp_path: Path, records: Records, shape: list[int], payload: bytes, size: Any, header: str | None, message: str
) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    body, length = binary_body(shape, payload, size=size)
    with client:
        response = client.post(INFER, content=body, headers=binary_headers(header or str(length)))
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
    assert [r for r in records.records if r.exc_info] == []


@pytest.mark.parametrize("head", [b"[1, 2]", b'{"inputs": [{"shape": [1]}]}', b'{"id": "x"}'])
def test_a_binary_json_header_of_the_wrong_shape_is_a_400(tmp_path: Path, head: bytes) -> None:
    client, _, _ = make_client(tmp_path, admin_key=None)
    with client:
        response = client.post(INFER, content=head + FOUR_FLOATS, headers=binary_headers(str(len(head))))
    assert response.status_code == 400, response.text
    assert "malformed binary request" in response.json()["error"]
