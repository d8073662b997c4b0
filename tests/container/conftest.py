"""Fixtures of the container tests: the Docker engine on this machine and the project image built from this source.

`make test` builds the image first (`make image`); `.ci/services.sh` starts dockerd. A missing engine or image
is an error with the command that fixes it, never a skip: these tests are what proves the image runs.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from container.runs import REPO, PipelineRuns, soccerpredict

from soccerpredict.image import airflow_reference, image_reference

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this folder is a container test (`-m "not container"` leaves them out)."""
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.container)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client of the local Docker engine."""
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        pytest.fail(f"no Docker engine answers ({exc}); start it: bash .ci/services.sh")
    yield client
    client.close()


def _local_image(client: Any, override: str, built: str) -> str:
    import docker

    ref = os.environ.get(override) or built
    try:
        client.images.get(ref)
    except docker.errors.ImageNotFound:
        pytest.fail(f"the image {ref} is not built from this source; run: make image")
    return ref


@pytest.fixture(scope="session")
def project_image(docker_client: Any) -> str:
    """The project image this source builds (soccerpredict/image.py), which must exist locally.

    ``SOCCER_TEST_IMAGE`` names another image (while iterating on code the image does not hold yet).
    """
    return _local_image(docker_client, "SOCCER_TEST_IMAGE", image_reference())


@pytest.fixture(scope="session")
def smoke_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the smoke experiment's params; its ``data/`` links the repo's (where the image has it)."""
    from soccerpredict.params import compose_params, write_params

    ws = tmp_path_factory.mktemp("container-pipeline")
    (ws / "data").symlink_to(REPO / "data")
    write_params(compose_params("smoke", []), ws / "params.yaml")
    return ws


@pytest.fixture(scope="session")
def in_process_run(smoke_workspace: Path) -> subprocess.CompletedProcess[str]:
    """The smoke experiment in one process (artifacts/ and home/ of the workspace)."""
    ws = smoke_workspace
    return soccerpredict(["pipeline", "run", "--workdir", str(ws / "artifacts")], ws, ws / "home")


@pytest.fixture(scope="session")
def pipeline_runs(
    smoke_workspace: Path, in_process_run: subprocess.CompletedProcess[str], project_image: str
) -> PipelineRuns:
    """Both runs of the smoke experiment on the shipped sample: in this process, and in the image's containers."""
    ws = smoke_workspace
    docker_run = ["pipeline", "run", "--local", "--runner", "docker", "--image", project_image]
    docker = soccerpredict([*docker_run, "--pipeline-root", str(ws / "outputs")], ws, ws / "home-host")
    return PipelineRuns(ws, in_process_run, docker)


@pytest.fixture(scope="session")
def airflow_image(docker_client: Any) -> str:
    """The Airflow image this source builds, which must exist locally (``SOCCER_TEST_AIRFLOW_IMAGE`` overrides)."""
    return _local_image(docker_client, "SOCCER_TEST_AIRFLOW_IMAGE", airflow_reference())
