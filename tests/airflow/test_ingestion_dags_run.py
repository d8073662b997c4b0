"""The ingestion DAGs run once with dag.test() against real files served on localhost and the real PostgreSQL.

Each task calls the project's CLI in the main environment, as in production; the database is a fresh
PostgreSQL database per test (``pg_url`` from tests/conftest.py).
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "data" / "sample" / "football-data"
sys.path.insert(0, str(REPO / "tests"))
from odds_fixtures import fixtures_csv  # noqa: E402

pytestmark = pytest.mark.service


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A local copy of football-data.co.uk's layout (``mmz4281/<SEASON>/<DIV>.csv``), served on 127.0.0.1."""
    root = tmp_path / "site"
    for div in ("E0", "SP1"):
        target = root / "mmz4281" / "2324" / f"{div}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLE / div / "2324.csv", target)
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path: str | os.PathLike[str]) -> str:
        # Match-centre URLs have no extension; the site serves them as HTML (a browser downloads octet-streams).
        return "text/html; charset=utf-8" if not Path(path).suffix else super().guess_type(path)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def project_env(monkeypatch: pytest.MonkeyPatch, pg_url: str, tmp_path: Path) -> str:
    """The settings the CLI reads in each task: this test's database and a fresh SOCCER_HOME."""
    monkeypatch.setenv("SOCCER_DB_URL", pg_url)
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    return pg_url


def _rows(pg_url: str, sql: str) -> list[tuple]:
    with psycopg.connect(pg_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        return conn.execute(sql).fetchall()


def _run(dagbag, dag_id: str, conf: dict, day: datetime):  # type: ignore[no-untyped-def]
    dag = dagbag.get_dag(dag_id)
    for task in dag.tasks:
        task.retries = 0  # a failure shows at once instead of after the production retry delay
    run = dag.test(logical_date=day, run_conf=conf)
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert run.state == "success", states
    return states


def test_football_data_daily_downloads_ingests_and_snapshots(dagbag, site, project_env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    base, _ = site
    conf = {"divisions": "E0,SP1", "base_url": f"{base}/mmz4281"}

    states = _run(dagbag, "football_data_daily", conf, datetime(2024, 3, 1, tzinfo=UTC))

    assert states == {"plan": "success", "ingest": "success", "export_raw": "success"}
    counts = dict(_rows(project_env, "SELECT div, count(*) FROM matches GROUP BY div"))
    assert counts == {"E0": 380, "SP1": 380}
    sources = {r[0] for r in _rows(project_env, "SELECT DISTINCT source FROM matches")}
    assert sources == {f"{base}/mmz4281/2324/E0.csv", f"{base}/mmz4281/2324/SP1.csv"}
    snapshots = list((tmp_path / "home").rglob("matches.parquet"))
    assert snapshots, "export_raw wrote no snapshot under SOCCER_HOME's object store"

    # A second run the same day changes nothing: the files' bytes are the same.
    before = _rows(project_env, "SELECT max(updated_at) FROM matches")
    _run(dagbag, "football_data_daily", conf, datetime(2024, 3, 2, tzinfo=UTC))
    assert _rows(project_env, "SELECT max(updated_at) FROM matches") == before


def test_a_failing_cli_call_fails_the_task_with_the_commands_last_lines(site, project_env) -> None:  # type: ignore[no-untyped-def]
    from soccer_common import run_cli

    base, _ = site
    # 2024/25 is not on the local site: the task fails (and Airflow retries it) with the reason in its error.
    with pytest.raises(RuntimeError, match=r"exited with 1:(.|\n)*404") as failure:
        run_cli("ingest", "football-data", f"{base}/mmz4281/2425/E0.csv")
    assert "soccerpredict ingest football-data" in str(failure.value)
    assert _rows(project_env, "SELECT count(*) FROM matches") == [(0,)]


def test_odds_refresh_loads_fixtures_with_pre_match_odds(dagbag, site, project_env) -> None:  # type: ignore[no-untyped-def]
    base, root = site
    content, originals = fixtures_csv([SAMPLE / "E0" / "2324.csv", SAMPLE / "SP1" / "2324.csv"], last=5)
    (root / "fixtures.csv").write_bytes(content)

    states = _run(dagbag, "odds_refresh", {"location": f"{base}/fixtures.csv"}, datetime(2024, 5, 1, tzinfo=UTC))

    assert states == {"refresh_odds": "success"}
    assert _rows(project_env, "SELECT status, count(*) FROM matches GROUP BY status") == [("scheduled", 10)]
    pre = _rows(project_env, "SELECT count(*) FROM odds WHERE kind = 'pre'")[0][0]
    close = _rows(project_env, "SELECT count(*) FROM odds WHERE kind = 'close'")[0][0]
    assert pre > 0 and close == 0
    assert len(originals) == 10


WHOSCORED = REPO / "tests" / "fixtures" / "whoscored"
MATCH_PATH = "/Matches/1485184/Live/England-Premier-League-2020-2021-Burnley-Manchester-United"


def test_whoscored_matches_scrapes_a_real_match_centre_through_chromium(  # type: ignore[no-untyped-def]
    dagbag, site, project_env, monkeypatch
) -> None:
    import gzip
    import json

    base, root = site
    # The real matchCentreData of Burnley 0-1 Man Utd (12 Jan 2021) in the frame of a match-centre page.
    data = gzip.decompress((WHOSCORED / "matchcentre_1485184.json.gz").read_bytes()).decode()
    page = (WHOSCORED / "live_page.html").read_text().replace("{{MATCH_CENTRE_DATA}}", data)
    target = root / MATCH_PATH.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page)
    monkeypatch.setenv("SOCCER_SCRAPE_MIN_INTERVAL", "0")
    # Chromium resolves a few hosts at start-up: only 127.0.0.1 exists for it here.
    monkeypatch.setenv(
        "SOCCER_CHROMIUM_ARGUMENTS", json.dumps(["--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"])
    )
    monkeypatch.delenv("SOCCER_SELENIUM_URL", raising=False)

    states = _run(dagbag, "whoscored_matches", {"targets": base + MATCH_PATH}, datetime(2021, 1, 13, tzinfo=UTC))

    assert states == {"plan": "success", "scrape": "success"}
    rows = _rows(
        project_env,
        "SELECT m.match_id, m.fthg, m.ftag, s.home_shots, s.away_shots"
        " FROM matches m JOIN match_stats s USING (match_id)",
    )
    assert rows == [("E0-20210112-burnley-man-united", 0, 1, 11, 13)]
