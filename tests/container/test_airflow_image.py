"""The Airflow image: Airflow from its own lock, the project's venv beside it, and every DAG importing cleanly."""

from __future__ import annotations

import json
from typing import Any

# As the DAG processor parses a local bundle: its folder on sys.path (the DAGs share soccer_common.py).
DAGBAG = """
import json, os, sys
sys.path.insert(0, os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
print(json.dumps({"errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": sorted(bag.dag_ids)}))
"""


def _run(client: Any, image: str, command: list[str], environment: dict[str, str] | None = None) -> str:
    out = client.containers.run(image, command, remove=True, stdout=True, stderr=False, environment=environment)
    return str(out.decode())


def test_airflow_image_runs_airflow_as_uid_50000(docker_client: Any, airflow_image: str) -> None:
    config = docker_client.images.get(airflow_image).attrs["Config"]
    assert config["User"] == "50000"
    assert _run(docker_client, airflow_image, ["airflow", "version"]).strip() == "3.3.2"


def test_airflow_image_has_the_projects_cli(docker_client: Any, airflow_image: str) -> None:
    out = _run(docker_client, airflow_image, ["bash", "-c", '"$SOCCERPREDICT_BIN" pipeline stages --help'])
    assert "stages" in out


def test_every_dag_imports_in_the_image(docker_client: Any, airflow_image: str) -> None:
    # A fresh metadata DB in the container's tmp (the chart runs `airflow db migrate` as a Job).
    env = {"AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "sqlite:////tmp/airflow.db", "AIRFLOW_HOME": "/tmp/airflow"}
    result = json.loads(_run(docker_client, airflow_image, ["python", "-c", DAGBAG], env).strip().splitlines()[-1])
    assert result["errors"] == {}
    assert len(result["dags"]) >= 7, result["dags"]
