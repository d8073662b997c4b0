"""The wheel a library user installs: the pipeline's configuration inside it, typed packages, the licence, and the
project's addresses; and from the wheel alone (no checkout beside it) the parameters compose.

The wheel is built offline by hatchling, the build backend ``pyproject.toml`` names (installed in the dev group).
"""

from __future__ import annotations

import email
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("soccerpredict", "components", "pipelines", "serving")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "wheel", "--directory", str(out)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("soccerpredict-*.whl")
    return built


def test_the_wheel_holds_the_configuration_the_licence_and_the_type_markers(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    conf = {p.relative_to(REPO).as_posix() for p in (REPO / "conf").rglob("*.yaml")}
    assert {f"soccerpredict/{name}" for name in conf} <= names
    assert {f"{package}/py.typed" for package in PACKAGES} <= names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names), sorted(names)[-10:]


def test_the_wheel_metadata_names_the_licence_and_the_project_urls(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (meta,) = (n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = email.message_from_bytes(archive.read(meta))
    assert metadata["License-Expression"] == "Apache-2.0"
    urls = dict(value.split(", ", 1) for value in metadata.get_all("Project-URL") or [])
    assert {"Homepage", "Source", "Issues", "Documentation"} <= set(urls)
    assert not any(req.startswith("statsmodels") for req in metadata.get_all("Requires-Dist") or [])


def test_parameters_compose_from_the_wheel_alone(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    # Run outside the checkout with the unpacked wheel first on the path: conf/ comes from the package or not at all.
    code = (
        "import json, soccerpredict.params as p; "
        "print(json.dumps([str(p.CONF_DIR), p.compose_params('smoke')['data']['sources']]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    conf_dir, sources = json.loads(done.stdout.strip().splitlines()[-1])
    assert conf_dir == str(site / "soccerpredict" / "conf")
    assert sources
