"""The smoke experiment under both orchestrators: `dvc repro` and Kubeflow's local runner run the same 22 stages.

Each runs in its own copy of the repository (no state from the checkout) with its own SOCCER_HOME;
both must finish every stage, register a model with its aliases, and produce the same held-out metrics
for the same params and data. The DVC copy is a git repository: after its run it commits dvc.lock and
pushes to the committed S3 remote (moto's server standing in for MinIO), and a fresh git clone of it pulls
and reproduces without re-running the pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from s3_server import KEYS, create_bucket

from components.stages import STAGES
from soccerpredict.params import compose_params, write_params

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
COPIED = (
    ".dvc",
    ".dvcignore",
    ".gitignore",
    "dvc.yaml",
    "conf",
    "components",
    "pipelines",
    "soccerpredict",
    "serving",
    "data",
)
# .dvc/config.local holds a developer's endpoint and keys; tmp and cache are DVC's state.
NOT_COPIED = shutil.ignore_patterns("__pycache__", "tmp", "cache", "config.local")

pytestmark = pytest.mark.slow


def _workspace(root: Path) -> Path:
    root.mkdir(parents=True)
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=NOT_COPIED)
        else:
            shutil.copy2(source, root / name)
    write_params(compose_params("smoke", []), root / "params.yaml")
    return root


def _run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        **KEYS,  # the remote's keys come from the environment, as documented; never from a committed file
        "PATH": f"{BIN}:/usr/bin:/bin",
        "SOCCER_HOME": str(cwd / "home"),
        "COLUMNS": "160",
        "HOME": str(cwd),
        "DVC_NO_ANALYTICS": "1",  # DVC would otherwise report usage to dvc.org and (outside CI) look for updates
        "CI": "true",
        "GIT_AUTHOR_NAME": "ci",
        "GIT_AUTHOR_EMAIL": "ci@localhost",
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@localhost",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    env.pop("SOCCER_DB_URL", None)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)


def _ok(command: list[str], cwd: Path) -> str:
    done = _run(command, cwd)
    assert done.returncode == 0, f"{command}: {(done.stdout + done.stderr)[-3000:]}"
    return done.stdout


def _dvc(cwd: Path, *args: str) -> str:
    return _ok([str(BIN / "dvc"), *args], cwd)


def _git(cwd: Path, *args: str) -> str:
    return _ok(["git", *args], cwd)


@pytest.fixture(scope="module")
def dvc_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    ws = _workspace(tmp_path_factory.mktemp("orchestrators") / "dvc")
    _git(ws, "init", "-q")
    _git(ws, "add", ".")
    _git(ws, "commit", "-qm", "the pipeline, before its first run")
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


# --- the DVC remote: push, a fresh clone, pull, reproduce --------------------------------------------------------

REMOTE = "minio"  # the default remote of the committed .dvc/config
BUCKET, PREFIX = "dvc", "soccerpredict"  # its url: s3://dvc/soccerpredict


@dataclass(frozen=True)
class PulledClone:
    workspace: Path  # the repository that ran the pipeline and pushed
    clone: Path  # a git clone of it that pulled
    pushed: set[str]  # object keys in the bucket after the push
    status: dict[str, Any]  # `dvc status --json` in the clone after the pull
    pulled: dict[str, str]  # md5 per file under the clone's artifacts/ after the pull
    repro: str  # `dvc repro` in the clone, after the pull
    lock_before: str  # the clone's dvc.lock before and after that repro
    lock_after: str


def _point_at(repo: Path, endpoint_url: str) -> None:
    # What a user outside the cluster does for a port-forward; lands in the git-ignored .dvc/config.local.
    _dvc(repo, "remote", "modify", "--local", REMOTE, "endpointurl", endpoint_url)


def _file_hashes(root: Path) -> dict[str, str]:
    """md5 of every file under root, by relative path (DVC's own .gitignore entries left out)."""
    return {
        str(path.relative_to(root)): hashlib.md5(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".gitignore"
    }


def _bucket_keys(endpoint_url: str) -> set[str]:
    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=KEYS["AWS_DEFAULT_REGION"],
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{PREFIX}/")
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


@pytest.fixture(scope="module")
def pulled_clone(dvc_run: tuple[Path, subprocess.CompletedProcess[str]], s3_endpoint_url: str) -> PulledClone:
    ws, run = dvc_run
    assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]
    create_bucket(s3_endpoint_url, BUCKET)
    _git(ws, "add", "dvc.lock")
    _git(ws, "commit", "-qm", "the run's lock file")
    _point_at(ws, s3_endpoint_url)
    _dvc(ws, "push")
    clone = ws.parent / "clone"
    _git(ws.parent, "clone", "-q", str(ws), str(clone))
    _point_at(clone, s3_endpoint_url)
    _dvc(clone, "pull")
    status = json.loads(_dvc(clone, "status", "--json"))
    pulled = _file_hashes(clone / "artifacts")
    lock_before = (clone / "dvc.lock").read_text()
    repro = _dvc(clone, "repro")
    return PulledClone(
        ws, clone, _bucket_keys(s3_endpoint_url), status, pulled, repro, lock_before, (clone / "dvc.lock").read_text()
    )


def _locked_outs(lock: str) -> dict[str, str]:
    """md5 per output path recorded in a dvc.lock (a directory's ends in .dir)."""
    stages = yaml.safe_load(lock)["stages"]
    return {out["path"]: out["md5"] for stage in stages.values() for out in stage.get("outs", [])}


def test_dvc_push_uploads_the_data_snapshot_and_every_output(pulled_clone: PulledClone) -> None:
    cache = pulled_clone.workspace / ".dvc" / "cache" / "files" / "md5"
    cached = {f"{PREFIX}/files/md5/{path.relative_to(cache)}" for path in cache.rglob("*") if path.is_file()}
    assert pulled_clone.pushed == cached
    locked = _locked_outs(pulled_clone.lock_before)
    for path in ("artifacts/data/matches.parquet", "artifacts/metrics.json", "artifacts/models/model.joblib"):
        md5 = locked[path]
        assert f"{PREFIX}/files/md5/{md5[:2]}/{md5[2:]}" in pulled_clone.pushed, path


def test_fresh_clone_pulls_every_output_and_only_the_load_stage_is_pending(pulled_clone: PulledClone) -> None:
    assert set(_locked_outs(pulled_clone.lock_before)) == {
        f"artifacts/{name}" for stage in STAGES for name in stage.outputs.values()
    }
    assert pulled_clone.pulled == _file_hashes(pulled_clone.workspace / "artifacts")
    # The load stage reads the database, which DVC cannot hash: declared always_changed, it is never up to date.
    assert pulled_clone.status == {"load_data_from_sources": ["always changed"]}


def test_pulled_clone_reproduces_without_rerunning_the_pipeline(pulled_clone: PulledClone) -> None:
    ran = re.findall(r"Running stage '(\w+)'", pulled_clone.repro)
    skipped = re.findall(r"Stage '(\w+)' didn't change, skipping", pulled_clone.repro)
    # The load stage re-ingests the sources into the clone's empty database and writes the same snapshot
    # byte for byte, so every stage after it is skipped: no model is trained, registered or promoted again.
    assert ran == ["load_data_from_sources"]
    assert skipped == [stage.name for stage in STAGES[1:]]
    assert pulled_clone.lock_after == pulled_clone.lock_before
    assert _file_hashes(pulled_clone.clone / "artifacts") == pulled_clone.pulled
