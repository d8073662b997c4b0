"""The predictor, the facade and the ml worker as containers of the project image, started with the command, env,
user, security context, limits and probes of their manifests (tests/container/manifest_run.py), against this
machine's Redis and RabbitMQ and a champion trained by the pipeline run of this session.

The predictor passes the v2 contract checks of stock tritonclient clients over HTTP (JSON without extra
headers, and binary) and gRPC (tests/contract/v2_stock_clients.py); the facade answers a prediction through the
predictor container, and an async job through the ml worker container.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest
from container.manifest_run import BASE, ManifestContainer
from container.runs import soccerpredict
from contract.v2_stock_clients import check_stock_clients, sample_rows

API_KEY = "container-test-key"


@dataclass(frozen=True)
class ChampionHome:
    """A SOCCER_HOME whose registry has a champion and whose object store has its match-features snapshot."""

    home: Path
    version: str
    match_ids: list[str]

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"

    @property
    def store_uri(self) -> str:
        return (self.home / "store").as_uri()


def _ok(done: Any) -> str:
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return str(done.stdout)


@pytest.fixture(scope="module")
def champion_home(smoke_workspace: Path, in_process_run: subprocess.CompletedProcess[str]) -> ChampionHome:
    """The in-process smoke run's registry, its model made champion by hand, and batch inference re-run for it.

    The smoke experiment is a wiring run: its model is registered (@smoke) but need not pass the quality gate.
    A person forcing a version to champion is what `soccerpredict registry promote` is for.
    """
    ws, home = smoke_workspace, smoke_workspace / "home"
    _ok(in_process_run)
    _ok(soccerpredict(["registry", "promote", "--version", "1", "--to", "champion", "--force"], ws, home))
    _ok(soccerpredict(["stage", "batch_inference", "--workdir", str(ws / "artifacts")], ws, home))
    snapshot = pd.read_parquet(home / "store" / "features" / "latest" / "match_features.parquet")
    for path in [home, *home.rglob("*")]:  # the containers run as uid 10001, this run as this machine's user
        path.chmod(path.stat().st_mode | 0o777 if path.is_dir() else path.stat().st_mode | 0o666)
    return ChampionHome(home, "1", [str(m) for m in snapshot["match_id"].head(3)])


@dataclass
class Started:
    spec: ManifestContainer
    container: Any
    ready_after: float


def _start(docker_client: Any, spec: ManifestContainer) -> Iterator[Started]:
    container = docker_client.containers.run(spec.image, **spec.run_kwargs())
    try:
        if "startupProbe" in spec.spec:
            spec.wait_for(container, "startupProbe")
        ready = spec.wait_for(container, "readinessProbe")
        yield Started(spec, container, ready)
    finally:
        container.stop(timeout=10)
        container.remove(force=True)


def _local(champion: ChampionHome) -> dict[str, str | None]:
    """This machine's replacements for the ConfigMap's cluster addresses."""
    return {
        "SOCCER_STORE_URI": champion.store_uri,
        "SOCCER_S3_ENDPOINT": None,
        "MLFLOW_TRACKING_URI": champion.tracking_uri,
        "SOCCER_PREDICTOR_URL": None,  # set per test: the predictor container's URL
    }


def _secrets(home: Path, redis_url: str, amqp_url: str) -> dict[tuple[str, str], str]:
    return {
        ("soccer-redis", "cache-url"): redis_url,
        ("soccer-redis", "result-backend-url"): redis_url,
        ("soccer-rabbitmq", "broker-url"): amqp_url,
        ("soccer-api-keys", "keys"): json.dumps([API_KEY]),
        ("soccer-db", "soccerpredict-url"): f"sqlite:///{home / 'soccerpredict.db'}",
        ("soccer-s3", "access-key-id"): "unused-with-a-file-store",
        ("soccer-s3", "secret-access-key"): "unused-with-a-file-store",
    }


@pytest.fixture(scope="module")
def predictor(
    docker_client: Any, project_image: str, champion_home: ChampionHome, redis_url: str, amqp_url: str
) -> Iterator[Started]:
    spec = ManifestContainer(
        BASE / "predictor" / "inferenceservice.yaml",
        project_image,
        local_values=_local(champion_home),
        secrets=_secrets(champion_home.home, redis_url, amqp_url),
        mounts=(champion_home.home,),
    )
    yield from _start(docker_client, spec)


def test_predictor_container_runs_with_the_manifests_settings(predictor: Started) -> None:
    attrs = predictor.container.attrs
    assert attrs["Config"]["User"] == "10001:10001"
    assert attrs["HostConfig"]["ReadonlyRootfs"] is True
    assert attrs["HostConfig"]["CapDrop"] == ["ALL"]
    assert attrs["Path"] == "python" and attrs["Args"] == ["-m", "serving.predictor"]


def test_predictor_container_serves_the_champion_to_stock_clients(
    predictor: Started, champion_home: ChampionHome, monkeypatch: pytest.MonkeyPatch
) -> None:
    from serving.predictor.champion import MlflowChampionLoader

    # models:/ URIs resolve through the process-wide registry URI, as in the predictor (it sets the same env).
    monkeypatch.setenv("MLFLOW_TRACKING_URI", champion_home.tracking_uri)
    champion = MlflowChampionLoader(champion_home.tracking_uri).load(champion_home.version)
    rows = sample_rows(champion.n_features)
    answers = check_stock_clients(
        predictor.spec.url(8080),
        f"127.0.0.1:{predictor.spec.ports[8081]}",
        n_features=champion.n_features,
        match_id=champion_home.match_ids[0],
        rows=rows,
    )
    expected = champion.predict_proba(rows)
    for name, answer in answers.items():
        assert answer.model_version == champion_home.version, name
        np.testing.assert_allclose(answer.features, expected, rtol=0, atol=1e-6, err_msg=name)


@dataclass(frozen=True)
class Stack:
    """What a container that calls the predictor container needs (the facade, the workers)."""

    docker_client: Any
    image: str
    champion: ChampionHome
    predictor: Started
    redis_url: str
    amqp_url: str

    def start(self, manifest: Path) -> Iterator[Started]:
        spec = ManifestContainer(
            manifest,
            self.image,
            local_values={**_local(self.champion), "SOCCER_PREDICTOR_URL": self.predictor.spec.url(8080)},
            secrets=_secrets(self.champion.home, self.redis_url, self.amqp_url),
            mounts=(self.champion.home,),
        )
        yield from _start(self.docker_client, spec)


@pytest.fixture(scope="module")
def stack(
    docker_client: Any,
    project_image: str,
    champion_home: ChampionHome,
    predictor: Started,
    redis_url: str,
    amqp_url: str,
) -> Stack:
    return Stack(docker_client, project_image, champion_home, predictor, redis_url, amqp_url)


@pytest.fixture(scope="module")
def facade(stack: Stack) -> Iterator[Started]:
    yield from stack.start(BASE / "api" / "deployment.yaml")


@pytest.fixture(scope="module")
def ml_worker(stack: Stack) -> Iterator[Started]:
    yield from stack.start(BASE / "worker" / "deployment-ml.yaml")


def test_facade_container_predicts_through_the_predictor_container(
    facade: Started, champion_home: ChampionHome
) -> None:
    base = facade.spec.url(8000)
    assert httpx.get(f"{base}/predict/{champion_home.match_ids[0]}").status_code == 401
    answer = httpx.get(f"{base}/predict/{champion_home.match_ids[0]}", headers={"X-API-Key": API_KEY}, timeout=10)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["model_version"] == champion_home.version
    assert body["p_home"] + body["p_draw"] + body["p_away"] == pytest.approx(1.0, abs=1e-5)
    ready = httpx.get(f"{base}/health/ready", timeout=10).json()
    assert ready, ready


def test_async_job_runs_in_the_worker_container(
    facade: Started, ml_worker: Started, champion_home: ChampionHome
) -> None:
    base, headers = facade.spec.url(8000), {"X-API-Key": API_KEY}
    accepted = httpx.post(f"{base}/predict/async/", json=champion_home.match_ids, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text
    task_id = accepted.json()["task_id"]
    deadline = time.monotonic() + 60
    while True:
        status = httpx.get(f"{base}/monitoring/task_status/{task_id}", headers=headers, timeout=10).json()
        if status["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert status["status"] == "done", f"{status}\n{ManifestContainer.logs(ml_worker.container)}"
    assert status["result"]["model_version"] == champion_home.version
    assert [p["match_id"] for p in status["result"]["predictions"]] == champion_home.match_ids
