"""`make run`'s job on embedded defaults, as a user runs it: a fresh SOCCER_HOME, the shipped sample.

`soccerpredict demo --check` ingests, trains (22 stages), serves the champion with the predictor, the
facade and a worker, calls every endpoint once and stops everything. No service is needed.
"""

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]
SAMPLE_FILES = sorted((REPO / "data" / "sample" / "football-data").rglob("*.csv"))

pytestmark = pytest.mark.slow


def _cli(*args: str, home: Path, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    env = {"SOCCER_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "240", "HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "soccerpredict", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("demo") / "home"


@pytest.fixture(scope="module")
def first_run(home: Path) -> Iterator[subprocess.CompletedProcess[str]]:
    yield _cli("demo", "--check", home=home)


def test_demo_check_ingests_trains_serves_and_answers_every_endpoint(
    first_run: subprocess.CompletedProcess[str], home: Path
) -> None:
    out = first_run.stdout + first_run.stderr
    assert first_run.returncode == 0, out[-6000:]
    assert "Traceback" not in out
    checks = re.search(r"(\d+) of (\d+) checks passed", out)
    assert checks and checks[1] == checks[2] and int(checks[2]) >= 15, out[-3000:]
    assert re.search(r"serving champion v\d+", out)
    assert "API key for local use" in out and "curl -H 'X-API-Key:" in out
    engine = create_engine(f"sqlite:///{home / 'soccerpredict.db'}")
    with engine.connect() as conn:
        matches = conn.execute(text("SELECT count(*) FROM matches")).scalar_one()
        files = conn.execute(text("SELECT count(*) FROM ingestion_log WHERE status = 'ok'")).scalar_one()
    engine.dispose()
    assert files == len(SAMPLE_FILES) > 0
    assert matches > 300 * len(SAMPLE_FILES)
    snapshot = next((home / "store" / "raw").glob("*/matches.parquet"))
    assert len(pd.read_parquet(snapshot)) == matches
    predictions = pd.read_parquet(home / "store" / "predictions" / "latest" / "predictions.parquet")
    assert len(predictions) > 0 and predictions[["p_home", "p_draw", "p_away"]].sum(axis=1).round(6).eq(1).all()


def test_second_run_changes_nothing_and_reuses_the_champion(
    first_run: subprocess.CompletedProcess[str], home: Path
) -> None:
    assert first_run.returncode == 0
    again = _cli("demo", "--check", home=home)
    out = again.stdout + again.stderr
    assert again.returncode == 0, out[-6000:]
    assert re.search(rf"files loaded / unchanged / failed\W+0 / {len(SAMPLE_FILES)} / 0", out), out[-3000:]
    assert re.search(r"matches inserted\W+0\b", out)
    assert "already trained on this data" in out
    assert "training pipeline" not in out


def test_unknown_path_is_a_clear_error(tmp_path: Path) -> None:
    run = _cli("ingest", "football-data", str(tmp_path / "nope"), home=tmp_path / "home")
    assert run.returncode == 1
    # An error is one line on stderr, stdout stays for data (a script reading --json gets nothing to misparse).
    assert "nope" in run.stderr and run.stdout == "" and "Traceback" not in run.stderr
