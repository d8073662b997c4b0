"""What the SoccerPredict DAGs share: calling the project's CLI in its own environment, defaults, settings.

Airflow runs in its own virtual environment (Airflow 3's task SDK and KServe need different psutil
majors), so DAG files import nothing of the project: every task runs ``soccerpredict …`` from the
main environment as a subprocess, with this process's environment (``SOCCER_DB_URL``,
``SOCCER_STORE_URI``, ``MLFLOW_TRACKING_URI``, …). Not a DAG file: listed in ``.airflowignore``.

Settings (environment variables read when the DAGs are parsed; each DAG also takes them as params):

- ``SOCCERPREDICT_BIN``: the CLI (default ``<repo>/.venv/bin/soccerpredict``)
- ``SOCCER_DIVISIONS``: comma-separated football-data division codes (default the big five)
- ``SOCCER_FOOTBALL_DATA_URL``: the site's season-file root (default ``https://www.football-data.co.uk/mmz4281``)
- ``SOCCER_ODDS_URL``: the odds source's file (default football-data's ``fixtures.csv``)
- ``SOCCER_PARAMS``: composed pipeline params (default ``<repo>/params.yaml``)
- ``SOCCER_TRAINING_WORKDIR``: artifacts of the last training run (default ``<repo>/artifacts``, what ``dvc repro``
  and ``soccerpredict pipeline run`` write)
- ``SOCCER_AIRFLOW_WORKDIR``: where the daily DAGs keep their own stage artifacts (default
  ``<repo>/.soccerpredict/airflow``)
- ``SOCCER_KFP_HOST``: when set, ``retrain`` submits the compiled pipeline to this Kubeflow Pipelines host
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

#: Retries with backoff and a timeout for every task; owners and docs are set per DAG.
DEFAULT_ARGS: dict[str, Any] = {
    "owner": "soccerpredict",
    "retries": 2,
    "retry_delay": timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "max_retry_delay": timedelta(minutes=30),
    "execution_timeout": timedelta(hours=1),
}
BIG_FIVE = "E0,SP1,D1,I1,F1"


def setting(name: str, default: str) -> str:
    """An environment setting, or its default (read when the DAG file is parsed)."""
    return os.environ.get(name) or default


def soccerpredict_bin() -> str:
    """The project's CLI in the main environment."""
    return setting("SOCCERPREDICT_BIN", str(REPO / ".venv" / "bin" / "soccerpredict"))


def run_cli(*args: str, timeout: float | None = None) -> str:
    """Run ``soccerpredict ARGS`` from the repository root; its output goes to the task log; stdout is returned.

    Raises RuntimeError with the command's last lines when it fails, so the task fails (and retries).
    """
    command = [soccerpredict_bin(), *args]
    print(f"$ {shlex.join(command)}", flush=True)
    start = time.monotonic()
    proc = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    print(proc.stdout, flush=True)
    if proc.stderr:
        print(proc.stderr, flush=True)
    print(f"exit {proc.returncode} after {time.monotonic() - start:.1f} s", flush=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"{shlex.join(command)} exited with {proc.returncode}:\n{tail}")
    return proc.stdout


def run_cli_json(*args: str, timeout: float | None = None) -> Any:
    """Run ``soccerpredict ARGS --json`` and return its result: the one JSON document the command prints on stdout.

    What the command prints for people goes to stderr, into the task log; nothing is scraped from tables.
    """
    output = run_cli(*args, "--json", timeout=timeout)
    try:
        return json.loads(output)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"soccerpredict {shlex.join(args)} --json printed no JSON document: {output[-500:]!r}"
        ) from exc


def ingestion_counts(summary: dict[str, Any]) -> dict[str, Any]:
    """What an ingestion task returns (its XCom) from ``soccerpredict ingest … --json``: file statuses and totals."""
    return {"files": summary["files"], "totals": summary["totals"]}


def season_code(day: date) -> str:
    """football-data's season code of a day; seasons start on 1 July (2024-03-01 -> ``"2324"``).

    The twin of ``soccerpredict.data.sources.football_data.season_of``, which this environment cannot import.
    """
    start = day.year if day.month >= 7 else day.year - 1
    return f"{start % 100:02d}{(start + 1) % 100:02d}"


def division_codes(value: str | list[str]) -> list[str]:
    """Division codes from ``"E0, SP1"`` or a list; an empty selection is an error, not a silent no-op."""
    codes = [c.strip() for c in (value.split(",") if isinstance(value, str) else value) if c and c.strip()]
    if not codes:
        raise ValueError("no divisions configured: set SOCCER_DIVISIONS or the DAG's divisions param")
    return codes


def run_stage(name: str, params: dict[str, Any]) -> str:
    """One pipeline stage (``soccerpredict stage NAME``) over the DAG's ``workdir`` with its ``params_file``."""
    return run_cli("stage", name, "--workdir", params["workdir"], "--params", params["params_file"])


def stage_params(dag_id: str) -> dict[str, Any]:
    """The params of a DAG that runs pipeline stages: its own work folder and the composed params file."""
    from airflow.sdk import Param

    own = setting("SOCCER_AIRFLOW_WORKDIR", str(REPO / ".soccerpredict" / "airflow"))
    return {
        "workdir": Param(f"{own}/{dag_id}", type="string", description="This DAG's stage artifacts."),
        "params_file": Param(setting("SOCCER_PARAMS", str(REPO / "params.yaml")), type="string"),
    }


def training_workdir() -> str:
    """Where the training pipeline keeps its artifacts (``SOCCER_TRAINING_WORKDIR``)."""
    return setting("SOCCER_TRAINING_WORKDIR", str(REPO / "artifacts"))
