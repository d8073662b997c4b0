"""The smoke experiment run twice for the container tests: in this process, and through kfp's DockerRunner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PipelineRuns:
    """The smoke experiment run in this process and through kfp's DockerRunner, each in its own folder."""

    workspace: Path
    in_process: subprocess.CompletedProcess[str]
    docker: subprocess.CompletedProcess[str]

    @property
    def docker_root(self) -> Path:
        return self.workspace / "outputs"

    @property
    def docker_home(self) -> Path:
        """The state the containers shared besides their artifacts (database, MLflow, object store)."""
        return self.docker_root / "soccer-home"


def soccerpredict(args: list[str], cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOCCER_HOME": str(home), "COLUMNS": "160"}
    for key in ("MLFLOW_TRACKING_URI", "SOCCER_DB_URL", "SOCCER_STORE_URI", "SOCCER_REDIS_URL", "SOCCER_BROKER_URL"):
        env.pop(key, None)
    command = [str(Path(sys.executable).parent / "soccerpredict"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=1800)
