"""The DAG tests run in the Airflow environment (.venv-airflow), not the main one: `make test-airflow`.

Airflow reads AIRFLOW_HOME when it is first imported, so it is set here, before any test imports it:
a fresh home per session with its own SQLite metadata database, migrated once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DAGS = REPO / "airflow" / "dags"
AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="soccer-airflow-"))

os.environ["AIRFLOW_HOME"] = str(AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "False"
os.environ.setdefault("SOCCERPREDICT_BIN", str(REPO / ".venv" / "bin" / "soccerpredict"))


@pytest.fixture(scope="session", autouse=True)
def airflow_db() -> Iterator[Path]:
    """``airflow db migrate`` once for the session (dag.test needs the metadata tables)."""
    airflow = Path(sys.executable).parent / "airflow"
    proc = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    yield AIRFLOW_HOME


@pytest.fixture(scope="session")
def dagbag(airflow_db: Path):  # type: ignore[no-untyped-def]
    """Every DAG of airflow/dags, parsed the way the DAG processor parses a local bundle (its folder on sys.path)."""
    from airflow.dag_processing.dagbag import BundleDagBag

    return BundleDagBag(dag_folder=str(DAGS), bundle_path=DAGS)
