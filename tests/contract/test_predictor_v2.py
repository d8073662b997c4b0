"""The predictor's v2 contract over HTTP and gRPC: the real kserve server in a subprocess, started once.

Registry: an MLflow SQLite store in tmp holding a tiny logistic regression on four synthetic
features, registered the way the training pipeline does it; features: a snapshot in a tmp object
store; cache: the real Redis. Clients: plain httpx JSON, and stock tritonclient over HTTP (JSON mode
without extra headers, binary mode) and gRPC through the reusable checks of ``contract.v2_stock_clients``.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
import redis
from contract.v2_stock_clients import check_grpc, check_http_binary, check_http_json, check_stock_clients, grpc_unready
from mlflow_state import mlflow_state_restored

from serving.stack import free_port, stop_process
from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore

pytestmark = pytest.mark.service

REPO = Path(__file__).resolve().parents[2]
MODEL = "soccer-1x2"
FEATURES = ("elo_diff", "form_home_points", "form_away_points", "rest_days_diff")
JSON = {"Content-Type": "application/json"}
ADMIN = {"X-Admin-Key": "contract-admin-key"}  # the repository routes need SOCCER_PREDICTOR_ADMIN_KEY
STARTUP_SECONDS = 240.0  # imports take 10-30 s on two busy cores; MLflow's first query creates its tables


class Registry:
    """An MLflow registry in a folder, registering models the way the training pipeline does."""

    def __init__(self, root: Path) -> None:
        self.tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
        self.artifacts = (root / "mlartifacts").as_uri()
        self.estimators: dict[str, Any] = {}

    def register(self, seed: int) -> str:
        """Fit, log, register and alias @champion a new version; return its number."""
        import mlflow
        from mlflow import MlflowClient
        from mlflow.models import infer_signature
        from sklearn.linear_model import LogisticRegression

        rng = np.random.default_rng(seed)
        x = pd.DataFrame(rng.normal(size=(300, len(FEATURES))), columns=list(FEATURES))
        y = (x["elo_diff"] + rng.normal(scale=0.5 + seed, size=300)).pipe(pd.cut, 3, labels=False)
        model = LogisticRegression(max_iter=500).fit(x, y)
        with mlflow_state_restored():
            mlflow.set_tracking_uri(self.tracking_uri)
            client = MlflowClient()
            experiment = client.get_experiment_by_name("predictor-contract")
            experiment_id = (
                experiment.experiment_id
                if experiment
                else client.create_experiment("predictor-contract", artifact_location=self.artifacts)
            )
            with mlflow.start_run(experiment_id=experiment_id):
                info = mlflow.sklearn.log_model(
                    model,
                    name="model",
                    signature=infer_signature(x, model.predict_proba(x)),
                    input_example=x.head(2),
                    registered_model_name=MODEL,
                    pip_requirements=["scikit-learn"],
                )
            version = str(info.registered_model_version)
            client.set_registered_model_alias(MODEL, "champion", version)
        self.estimators[version] = model
        return version


@dataclass
class Served:
    base: str
    port: int
    grpc_port: int
    log: Path
    registry: Registry
    match_ids: list[str]
    snapshot: pd.DataFrame
    unready: dict[str, Any] = field(default_factory=dict)

    @property
    def grpc_url(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def version(self) -> str:
        return str(httpx.get(f"{self.base}/v2/models/{MODEL}").json()["versions"][0])

    def expected(self, rows: np.ndarray) -> np.ndarray:
        """What the served version's estimator gives for ``rows``."""
        return self.registry.estimators[self.version()].predict_proba(pd.DataFrame(rows, columns=list(FEATURES)))


def wait_for(predicate: Any, seconds: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.25)
    tail = log.read_text()[-3000:] if log else ""
    raise AssertionError(f"timed out after {seconds} s waiting for {what}\n{tail}")


def start_server(root: Path, port: int, grpc_port: int, redis_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "SOCCER_HOME": str(root / "home"),
        "SOCCER_PREDICTOR_PORT": str(port),
        "SOCCER_PREDICTOR_GRPC_PORT": str(grpc_port),
        "SOCCER_STORE_URI": (root / "store").as_uri(),
        "SOCCER_REDIS_URL": redis_url,
        "SOCCER_CACHE_TTL_SECONDS": "600",
        "SOCCER_CHAMPION_POLL_SECONDS": "3600",  # swaps in these tests come from the load endpoint
        "SOCCER_PREDICTOR_ADMIN_KEY": ADMIN["X-Admin-Key"],
        "MLFLOW_TRACKING_URI": f"sqlite:///{root / 'mlflow.db'}",
    }
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "serving.predictor"], cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT
        )


def features_body(rows: np.ndarray, datatype: str = "FP32") -> dict[str, Any]:
    return {
        "inputs": [{"name": "features", "shape": list(rows.shape), "datatype": datatype, "data": rows.ravel().tolist()}]
    }


def match_body(*ids: str) -> dict[str, Any]:
    return {"inputs": [{"name": "match_id", "shape": [len(ids)], "datatype": "BYTES", "data": list(ids)}]}


def metric(served: Served, name: str, **labels: str) -> float:
    """One sample of the server's /metrics, by name and labels (NaN when absent)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(httpx.get(f"{served.base}/metrics").text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return math.nan


def snapshot_rows(served: Served, *index: int) -> np.ndarray:
    """The snapshot's feature rows of the matches at ``index``."""
    return served.snapshot.iloc[list(index)][list(FEATURES)].to_numpy(dtype=np.float32)


def two_free_ports() -> tuple[int, int]:
    """Two distinct free ports (HTTP, gRPC)."""
    while (ports := (free_port(), free_port()))[0] == ports[1]:
        pass
    return ports


def outputs(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return {o["name"]: o for o in response.json()["outputs"]}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("predictor")
    tag = uuid.uuid4().hex[:8]
    ids = [f"T{tag}-{i}" for i in range(6)]
    snapshot = pd.DataFrame(np.random.default_rng(7).normal(size=(6, 4)), columns=list(FEATURES))
    snapshot.insert(0, "match_id", ids)
    ObjectStore(root.joinpath("store").as_uri()).write_parquet(MATCH_FEATURES_KEY, snapshot)
    (port, grpc_port), log = two_free_ports(), root / "predictor.log"
    process = start_server(root, port, grpc_port, redis_url, log)
    served = Served(f"http://127.0.0.1:{port}", port, grpc_port, log, Registry(root), ids, snapshot)
    try:
        import mlflow  # noqa: F401  (import it here, while the server boots)

        # The server must have answered "no champion" before we register one (and it creates MLflow's tables).
        wait_for(lambda: "no model version has the alias" in log.read_text(), STARTUP_SECONDS, "no-champion log", log)
        served.unready = {
            "ready": httpx.get(f"{served.base}/v2/models/{MODEL}/ready").status_code,
            "infer": httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=match_body(ids[0])),
            "metadata": httpx.get(f"{served.base}/v2/models/{MODEL}").json(),
            **grpc_unready(served.grpc_url, ids[0]),
        }
        served.registry.register(seed=1)
        load = httpx.post(f"{served.base}/v2/repository/models/{MODEL}/load", headers=ADMIN, timeout=120)
        assert load.status_code == 200, load.text
        yield served
    finally:
        stop_process(process, grace=30)
        conn = redis.Redis.from_url(redis_url)
        keys = list(conn.scan_iter(match=f"predict:T{tag}-*", count=1000))
        if keys:
            conn.delete(*keys)


@pytest.fixture(scope="module")
def cache(redis_url: str) -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(redis_url)
    yield conn
    conn.close()


def test_without_a_champion_it_runs_unready_and_logs_why(served: Served) -> None:
    assert served.unready["ready"] == 503
    assert served.unready["infer"].status_code == 503
    assert served.unready["metadata"]["parameters"]["ready"] is False
    assert served.unready["grpc_live"] is True and served.unready["grpc_model_ready"] is False
    status, message = served.unready["grpc_infer"]
    assert status == "StatusCode.UNAVAILABLE" and "no model version has the alias" in message
    assert "no model version has the alias models:/soccer-1x2@champion" in served.log.read_text()


def test_health_and_readiness(served: Served) -> None:
    assert httpx.get(f"{served.base}/v2/health/live").json() == {"live": True}
    assert httpx.get(f"{served.base}/v2/health/ready").json() == {"ready": True}
    assert httpx.get(f"{served.base}/v2/models/{MODEL}/ready").json() == {"name": MODEL, "ready": True}


def test_metadata_declares_inputs_outputs_and_the_feature_order(served: Served) -> None:
    meta = httpx.get(f"{served.base}/v2/models/{MODEL}").json()
    assert meta["name"] == MODEL
    assert meta["inputs"] == [
        {"name": "features", "datatype": "FP32", "shape": [-1, 4]},
        {"name": "match_id", "datatype": "BYTES", "shape": [-1]},
    ]
    assert meta["outputs"] == [
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
        {"name": "model_version", "datatype": "BYTES", "shape": [-1]},
    ]
    assert meta["parameters"]["feature_names"].split(",") == list(FEATURES)
    assert meta["parameters"]["engine"] == "native"  # a logistic regression has no trees for treelite
    assert meta["versions"] == [meta["parameters"]["model_version"]]


def test_features_infer_matches_the_registered_model(served: Served) -> None:
    rows = np.array([[0.5, 1.0, 2.0, -1.0], [-0.3, 0.1, 0.0, 2.0]], dtype=np.float32)
    got = outputs(httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=features_body(rows)))
    version = served.version()
    assert got["probabilities"]["shape"] == [2, 3]
    expected = served.registry.estimators[version].predict_proba(pd.DataFrame(rows, columns=list(FEATURES)))
    np.testing.assert_allclose(np.reshape(got["probabilities"]["data"], (2, 3)), expected, atol=1e-5)
    assert got["model_version"]["data"] == [version, version]


def test_match_ids_use_the_snapshot_and_the_cache(served: Served, cache: redis.Redis) -> None:
    ids = served.match_ids[1:3]
    first = outputs(httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=match_body(*ids)))
    version = served.version()
    expected = served.registry.estimators[version].predict_proba(served.snapshot.iloc[1:3][list(FEATURES)])
    np.testing.assert_allclose(np.reshape(first["probabilities"]["data"], (2, 3)), expected, atol=1e-5)
    assert all(0 < cache.ttl(f"predict:{m}:{version}") <= 600 for m in ids)
    second = outputs(httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=match_body(*ids)))
    assert second["probabilities"]["data"] == pytest.approx(first["probabilities"]["data"], abs=1e-6)
    assert metric(served, "soccerpredict_prediction_cache_hits_total", service="predictor") >= 2
    assert metric(served, "soccerpredict_model_info", service="predictor", model=MODEL, version=version) == 1


def test_tritonclient_json_mode_needs_no_content_type(served: Served) -> None:
    rows = np.array([[0.5, 1.0, 2.0, -1.0], [-0.3, 0.1, 0.0, 2.0]], dtype=np.float32)
    answer = check_http_json(served.base, n_features=len(FEATURES), match_id=served.match_ids[3], rows=rows)
    np.testing.assert_allclose(answer.features, served.expected(rows), atol=1e-5)
    np.testing.assert_allclose(answer.match, served.expected(snapshot_rows(served, 3)), atol=1e-5)
    assert answer.model_version == served.version()


def test_tritonclient_binary_mode(served: Served) -> None:
    rows = np.array([[1.5, -2.0, 0.0, 0.25]], dtype=np.float32)
    answer = check_http_binary(served.base, n_features=len(FEATURES), match_id=served.match_ids[4], rows=rows)
    np.testing.assert_allclose(answer.features, served.expected(rows), atol=1e-5)
    np.testing.assert_allclose(answer.match, served.expected(snapshot_rows(served, 4)), atol=1e-5)


def test_tritonclient_grpc(served: Served) -> None:
    rows = np.array([[0.5, 1.0, 2.0, -1.0], [-0.3, 0.1, 0.0, 2.0], [2.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    answer = check_grpc(served.grpc_url, n_features=len(FEATURES), match_id=served.match_ids[5], rows=rows)
    np.testing.assert_allclose(answer.features, served.expected(rows), atol=1e-5)
    np.testing.assert_allclose(answer.match, served.expected(snapshot_rows(served, 5)), atol=1e-5)
    assert answer.model_version == served.version()


def test_the_three_stock_clients_agree(served: Served) -> None:
    answers = check_stock_clients(served.base, served.grpc_url, n_features=len(FEATURES), match_id=served.match_ids[0])
    assert set(answers) == {"http-json", "http-binary", "grpc"}


def test_the_checks_fail_against_a_different_contract(served: Served) -> None:
    """The checks can fail: a predictor declaring other features is refused on every protocol."""
    for check, url in ((check_http_json, served.base), (check_http_binary, served.base), (check_grpc, served.grpc_url)):
        with pytest.raises(AssertionError, match=r"metadata inputs"):
            check(url, n_features=len(FEATURES) + 1, match_id=served.match_ids[0])


ZEROS = [0.0] * 4
BAD_REQUESTS = {
    "fp64": (features_body(np.zeros((1, 4)), "FP64"), "must have datatype FP32, got FP64"),
    "three features": (features_body(np.zeros((1, 3))), "must have shape [n, 4] (one column per feature: elo_diff"),
    "flat features": ({"inputs": [{"name": "features", "shape": [4], "datatype": "FP32", "data": ZEROS}]}, "[n, 4]"),
    "short data": (
        {"inputs": [{"name": "features", "shape": [2, 4], "datatype": "FP32", "data": ZEROS}]},
        "data is not",
    ),
    "text": (
        {"inputs": [{"name": "features", "shape": [1, 4], "datatype": "FP32", "data": list("abcd")}]},
        "data is not",
    ),
    "no rows": ({"inputs": [{"name": "features", "shape": [0, 4], "datatype": "FP32", "data": []}]}, "between 1 and"),
    "no inputs": ({"inputs": []}, "the request has no inputs"),
    "both inputs": (
        {"inputs": [*features_body(np.zeros((1, 4)))["inputs"], *match_body("x")["inputs"]]},
        "the request has inputs ['features', 'match_id']",
    ),
    "unknown input": ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]}, "unknown input 'x'"),
    "numeric ids": ({"inputs": [{"name": "match_id", "shape": [1], "datatype": "FP32", "data": [1]}]}, "BYTES"),
    "2-d ids": ({"inputs": [{"name": "match_id", "shape": [1, 1], "datatype": "BYTES", "data": ["a"]}]}, "[n]"),
    "unknown id": (match_body("no-such-match"), "unknown match id(s) 'no-such-match'"),
}


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS.values(), ids=BAD_REQUESTS.keys())
def test_bad_requests_are_400_with_a_clear_message(served: Served, body: dict[str, Any], message: str) -> None:
    response = httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=body)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_features_are_400(served: Served, literal: str) -> None:
    body = f'{{"inputs":[{{"name":"features","shape":[1,4],"datatype":"FP32","data":[0,0,{literal},0]}}]}}'
    response = httpx.post(f"{served.base}/v2/models/{MODEL}/infer", content=body, headers=JSON)
    assert response.status_code == 400, response.text
    assert "column(s) ['form_away_points']" in response.json()["error"]


def test_hot_swap_under_load(served: Served, cache: redis.Redis) -> None:
    """Last on purpose: it moves the alias. Zero failures, versions switch once, old cache keys go."""
    old = served.version()
    outputs(httpx.post(f"{served.base}/v2/models/{MODEL}/infer", json=match_body(*served.match_ids)))
    assert cache.exists(*(f"predict:{m}:{old}" for m in served.match_ids)) == len(served.match_ids)
    new = served.registry.register(seed=2)
    seen: list[tuple[int, str]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def stream() -> None:
        bodies = [features_body(np.ones((1, 4), dtype=np.float32)), match_body(served.match_ids[0])]
        with httpx.Client(base_url=served.base, timeout=30) as client:
            while not stop.is_set():
                try:
                    response = client.post(f"/v2/models/{MODEL}/infer", json=bodies[len(seen) % 2])
                    version = response.json()["outputs"][1]["data"][0] if response.status_code == 200 else ""
                    seen.append((response.status_code, version))
                except Exception as exc:  # any transport error is a failed request
                    errors.append(exc)
                    return

    worker = threading.Thread(target=stream)
    worker.start()
    try:
        wait_for(lambda: len(seen) >= 20, 60, "requests before the swap")
        load = httpx.post(f"{served.base}/v2/repository/models/{MODEL}/load", headers=ADMIN, timeout=120)
        assert load.status_code == 200, load.text
        count = len(seen)
        wait_for(lambda: len(seen) >= count + 20, 60, "requests after the swap")
    finally:
        stop.set()
        worker.join(30)
    assert errors == []
    assert [s for s, _ in seen if s != 200] == []
    versions = [v for _, v in seen]
    switch = versions.index(new)
    assert set(versions[:switch]) == {old} and set(versions[switch:]) == {new}, "one switch, never back"
    wait_for(lambda: not cache.exists(*(f"predict:{m}:{old}" for m in served.match_ids)), 10, "old cache keys to go")
    assert served.version() == new
    assert metric(served, "soccerpredict_model_swaps_total") == 1
