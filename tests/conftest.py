"""Shared fixtures: real data locations and real services on this machine."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from mlflow_state import mlflow_state_restored
from needs import missing

if TYPE_CHECKING:
    from mlflow_server import MlflowServer


def _has_airflow() -> bool:
    # Without importing it (Airflow reads AIRFLOW_HOME on import; tests/airflow/conftest.py sets it first).
    spec = importlib.util.find_spec("airflow")
    return spec is not None and spec.origin is not None


#: The DAG tests need Airflow, which has its own environment (.venv-airflow): `make test-airflow` runs them there.
# (The repo's own airflow/ folder is importable too, as a namespace package: it has no origin.)
collect_ignore = [] if _has_airflow() else ["airflow"]

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "sample" / "football-data"
SHARED_DATA = Path(os.environ.get("SOCCER_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    """The small real sample shipped with the repo."""
    return SAMPLE_DIR


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The full real data set beside the checkout (../shared/data)."""
    if not (SHARED_DATA / "football-data").is_dir():
        missing(f"the real data set is not at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def pg_admin_url() -> str:
    """URL of the real PostgreSQL server's maintenance database."""
    return os.environ.get("SOCCER_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@contextlib.contextmanager
def fresh_pg_database(admin_url: str, name: str) -> Iterator[str]:
    """Create database ``name`` on the server of ``admin_url``; yield its URL; drop it (connections and all) on exit."""
    from sqlalchemy import create_engine, text

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with fresh_pg_database(pg_admin_url, f"soccer_test_{uuid.uuid4().hex[:12]}") as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A fresh SQLite database file for one test."""
    return f"sqlite:///{tmp_path / 'soccer.db'}"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A Redis database number of its own on the real server (CI sets SOCCER_TEST_REDIS_URL)."""
    return os.environ.get("SOCCER_TEST_REDIS_URL", "redis://127.0.0.1:6379/13")


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The real RabbitMQ broker (CI gives it its own vhost through SOCCER_TEST_AMQP_URL)."""
    return os.environ.get("SOCCER_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture
def mlflow_uri(tmp_path: Path) -> Iterator[str]:
    """An empty MLflow tracking store (SQLite, no server) for one test; MLflow's process-wide tracking URI, active
    experiment and their environment variables (``use_tracking`` sets all four) are put back afterwards."""
    with mlflow_state_restored():
        yield f"sqlite:///{tmp_path / 'mlflow.db'}"


@pytest.fixture(scope="session")
def s3_endpoint_url() -> Iterator[str]:
    """A real S3 API on loopback (moto's server, no buckets yet; s3_server.create_bucket makes one)."""
    from s3_server import running_s3_server

    with running_s3_server() as endpoint_url:
        yield endpoint_url


@pytest.fixture(scope="session")
def mlflow_server(
    pg_admin_url: str, s3_endpoint_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MlflowServer]:
    """A real `mlflow server` as production runs it: a fresh PostgreSQL database as backend store, artefacts proxied
    to s3://mlflow/artifacts on the loopback S3 server. One per session (it takes about 20 s to start)."""
    from mlflow_server import MLFLOW_BUCKET, running_mlflow_server
    from s3_server import create_bucket

    create_bucket(s3_endpoint_url, MLFLOW_BUCKET)
    name = f"soccer_test_mlflow_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with (
        fresh_pg_database(pg_admin_url, name) as store,
        running_mlflow_server(
            backend_store_uri=store,
            artifacts_destination=f"s3://{MLFLOW_BUCKET}/artifacts",
            s3_endpoint_url=s3_endpoint_url,
            workdir=tmp_path_factory.mktemp("mlflow-server"),
        ) as server,
    ):
        yield server


@pytest.fixture(params=["sqlite", pytest.param("server", marks=pytest.mark.service)])
def registry_uri(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty model registry for one test, twice: an SQLite file (no server), and the real `mlflow server` on
    PostgreSQL and S3 (``mlflow_server``, its soccer-1x2 model deleted first). MLflow's globals are restored after."""
    with mlflow_state_restored():
        if request.param == "sqlite":
            yield f"sqlite:///{tmp_path / 'mlflow.db'}"
            return
        server: MlflowServer = request.getfixturevalue("mlflow_server")
        _delete_model(server.url)
        yield server.url


def _delete_model(tracking_uri: str) -> None:
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    from soccerpredict.artifacts import MODEL_NAME

    try:
        MlflowClient(tracking_uri=tracking_uri).delete_registered_model(MODEL_NAME)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_DOES_NOT_EXIST":  # anything but "not registered yet" is a broken server
            raise
