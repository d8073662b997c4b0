"""The registry against a real `mlflow server` (what the cluster runs), not only the embedded SQLite store."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from mlflow_state import mlflow_state_restored
from sklearn.linear_model import LogisticRegression

from serving.stack import free_port, stop_process
from soccerpredict.artifacts import ALIAS_CHAMPION, MODEL_NAME
from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
from soccerpredict.registry.promotion import alias_version, list_versions, reject_version, set_alias

pytestmark = [pytest.mark.service, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-server")
    port = free_port()
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}"]
    command += ["--default-artifact-root", str(root / "mlartifacts"), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", "1"]
    log = root / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server not up after 120 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process, grace=30)


@pytest.fixture(autouse=True)
def _restore_tracking_uri() -> Iterator[None]:
    """use_tracking sets MLflow's process-wide URI: later tests must not talk to a stopped server."""

    with mlflow_state_restored():
        yield


def test_register_alias_reject_and_load_through_the_server(server: str, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"elo_diff": rng.normal(size=300), "rest_days_diff": rng.normal(size=300)})
    y = np.digitize(x["elo_diff"] + rng.normal(size=300), [-0.5, 0.5])
    model = LogisticRegression(max_iter=300).fit(x, y)
    use_tracking(server)
    card = tmp_path / "model_card.md"
    card.write_text("# card\n")
    first = log_and_register(
        model, example=x, params={"C": 1.0}, metrics={"rps": 0.2}, tags={}, artifacts={"card": card}
    )
    second = log_and_register(model, example=x, params={"C": 1.0}, metrics={"rps": 0.3}, tags={}, artifacts={})
    set_alias(ALIAS_CHAMPION, first.version)
    reject_version(second.version, "worse on the held-out season")
    assert alias_version(ALIAS_CHAMPION) == first.version
    versions = {v["version"]: v for v in list_versions(server)}
    assert versions[second.version]["rejected"] == "worse on the held-out season"
    assert "smoke" in versions[second.version]["aliases"] and "champion" in versions[first.version]["aliases"]

    import mlflow

    served = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{ALIAS_CHAMPION}")
    np.testing.assert_allclose(served.predict_proba(x.head(5)), model.predict_proba(x.head(5)))
    run = mlflow.get_run(first.run_id)
    assert run.data.metrics["rps"] == pytest.approx(0.2)
    assert "card/model_card.md" in [a.path for a in mlflow.MlflowClient().list_artifacts(first.run_id, "card")]
