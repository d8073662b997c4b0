"""The 22 components in containers: kfp's DockerRunner runs every stage in the project image, as a cluster does,
and gets the held-out metrics of the in-process run of the same params and data."""

from __future__ import annotations

import json
import re

from container.runs import PipelineRuns

from components.stages import STAGES


def _plain(run_output: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", run_output)


def test_every_component_runs_in_the_image_and_succeeds(pipeline_runs: PipelineRuns, project_image: str) -> None:
    out = _plain(pipeline_runs.docker.stdout + pipeline_runs.docker.stderr)
    assert pipeline_runs.docker.returncode == 0, out[-5000:]
    succeeded = set(re.findall(r"Task '([\w-]+)' finished with status SUCCESS", out))
    assert succeeded == {s.name.replace("_", "-") for s in STAGES} | {"merge-params"}
    assert "Pipeline 'soccer-1x2' finished with status SUCCESS" in out
    assert out.count(f"Found image '{project_image}'") == len(STAGES) + 1  # never pulled, never the host venv


def test_containers_give_the_in_process_metrics(pipeline_runs: PipelineRuns) -> None:
    ran = pipeline_runs.in_process
    assert ran.returncode == 0, (ran.stdout + ran.stderr)[-5000:]
    in_process = json.loads((pipeline_runs.workspace / "artifacts" / "metrics.json").read_text())
    in_containers = json.loads(next(pipeline_runs.docker_root.rglob("evaluate/metrics")).read_text())
    assert in_containers == in_process


def test_containers_share_one_registry_and_register_the_model(pipeline_runs: PipelineRuns) -> None:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{pipeline_runs.docker_home / 'mlflow.db'}")
    aliases = client.get_registered_model("soccer-1x2").aliases
    assert str(aliases.get("smoke")) == "1"
