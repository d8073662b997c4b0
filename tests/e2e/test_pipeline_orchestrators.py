"""The smoke experiment under both orchestrators: `dvc repro` and Kubeflow's local runner run the same 22 stages.

Each runs in its own copy of the repository (no git, no state from the checkout) with its own SOCCER_HOME;
both must finish every stage, register a model with its aliases, and produce the same held-out metrics
for the same params and data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from soccerpredict.params import compose_params, write_params

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = ("dvc.yaml", ".dvc", ".dvcignore", "conf", "components", "pipelines", "soccerpredict", "serving", "data")

pytestmark = pytest.mark.slow


def _workspace(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", "tmp", "cache"))
        else:
            shutil.copy2(source, root / name)
    write_params(compose_params("smoke", []), root / "params.yaml")
    return root


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PATH": f"{BIN}:/usr/bin:/bin",
        "SOCCER_HOME": str(cwd / "home"),
        "COLUMNS": "160",
        "HOME": str(cwd),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("SOCCER_DB_URL", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


@pytest.fixture(scope="module")
def dvc_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    ws = _workspace(tmp_path_factory.mktemp("orchestrators") / "dvc")
    config = _run([str(BIN / "dvc"), "config", "core.no_scm", "true"], ws)
    assert config.returncode == 0, config.stderr
    return ws, _run([str(BIN / "dvc"), "repro"], ws)


@pytest.fixture(scope="module")
def kfp_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    ws = _workspace(tmp_path_factory.mktemp("orchestrators") / "kfp")
    command = [str(BIN / "soccerpredict"), "pipeline", "run", "--local", "--pipeline-root", str(ws / "outputs")]
    return ws, _run(command, ws)


def _registered(ws: Path) -> dict[str, list[str]]:
    """Aliases per version in the workspace's own MLflow registry."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{ws / 'home' / 'mlflow.db'}")
    versions = client.search_model_versions("name = 'soccer-1x2'")
    return {str(v.version): list(client.get_model_version("soccer-1x2", v.version).aliases) for v in versions}


def test_dvc_repro_runs_every_stage_and_registers_the_model(
    dvc_run: tuple[Path, subprocess.CompletedProcess[str]],
) -> None:
    ws, run = dvc_run
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    assert len(re.findall(r"Running stage '", run.stdout)) == 22
    assert "smoke" in _registered(ws)["1"]
    again = _run([str(BIN / "dvc"), "repro"], ws)
    assert again.returncode == 0
    skipped = re.findall(r"Stage '(\w+)' didn't change, skipping", again.stdout)
    assert len(skipped) == 21 and "load_data_from_sources" not in skipped  # only the database read re-runs


def test_kfp_local_runner_runs_every_stage_with_the_same_metrics(
    kfp_run: tuple[Path, subprocess.CompletedProcess[str]], dvc_run: tuple[Path, subprocess.CompletedProcess[str]]
) -> None:
    ws, run = kfp_run
    out = re.sub(r"\x1b\[[0-9;]*m", "", run.stdout + run.stderr)
    assert run.returncode == 0, out[-5000:]
    finished = re.findall(r"Task '([\w-]+)' finished with status SUCCESS", out)
    assert len(finished) == 23 and "merge-params" in finished  # the 22 stages and the run parameters' merge
    assert "Pipeline 'soccer-1x2' finished with status SUCCESS" in out
    assert "smoke" in _registered(ws)["1"]
    kfp_metrics = json.loads(next((ws / "outputs").rglob("evaluate/metrics")).read_text())
    dvc_metrics = json.loads((dvc_run[0] / "artifacts" / "metrics.json").read_text())
    assert kfp_metrics == dvc_metrics
