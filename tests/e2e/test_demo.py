"""`make run`'s job on embedded defaults, as a user runs it: a fresh SOCCER_HOME, the shipped sample."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[2]


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"SOCCER_HOME": str(home), "PATH": "/usr/bin:/bin", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "soccerpredict", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_demo_ingests_the_sample_and_snapshots_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run = _cli("demo", home=home)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "stops after ingestion" in run.stdout  # says truthfully where the main job stops today
    engine = create_engine(f"sqlite:///{home / 'soccerpredict.db'}")
    with engine.connect() as conn:
        matches = conn.execute(text("SELECT count(*) FROM matches")).scalar_one()
        files = conn.execute(text("SELECT count(*) FROM ingestion_log WHERE status = 'ok'")).scalar_one()
    sample_files = sorted((REPO / "data" / "sample" / "football-data").rglob("*.csv"))
    assert files == len(sample_files) > 0
    assert matches > 300 * len(sample_files)
    snapshot = next((home / "store" / "raw").glob("*/matches.parquet"))
    assert len(pd.read_parquet(snapshot)) == matches


def test_second_demo_run_changes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _cli("demo", home=home).returncode == 0
    again = _cli("demo", home=home)
    assert again.returncode == 0, again.stdout + again.stderr
    n_files = len(list((REPO / "data" / "sample" / "football-data").rglob("*.csv")))
    assert re.search(rf"files loaded / unchanged / failed\W+0 / {n_files} / 0", again.stdout), again.stdout
    assert re.search(r"matches inserted\W+0\b", again.stdout), again.stdout


def test_unknown_path_is_a_clear_error(tmp_path: Path) -> None:
    run = _cli("ingest", "football-data", str(tmp_path / "nope"), home=tmp_path / "home")
    assert run.returncode == 1
    assert "nope" in run.stdout and "Traceback" not in run.stdout + run.stderr
