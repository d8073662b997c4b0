"""Broken football-data files against the real PostgreSQL: every file tried is in the ingestion log with its
outcome, `soccerpredict db report` shows each one, and `soccerpredict ingest football-data` exits 1."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from soccerpredict.cli import app
from soccerpredict.data.db import create_db_engine
from soccerpredict.data.ingest import ingest_football_data
from soccerpredict.data.sources.football_data import TRUNCATED_ROW, SourceRef

pytestmark = pytest.mark.service


def broken_archive(sample_dir: Path, folder: Path) -> dict[str, Path]:
    """Four files of the real sample: one intact, one cut mid-line, one with a 5-field row, one saved as UTF-16."""
    files = {name: folder / name / "2324.csv" for name in ("E0", "D1", "F1", "I1")}
    for name, path in files.items():
        path.parent.mkdir(parents=True)
        original = (sample_dir / name / "2324.csv").read_bytes()
        if name == "D1":
            original = original[:-40]  # the download stopped inside the last row
        elif name == "F1":
            lines = original.split(b"\n")
            lines[10] = b",".join(lines[10].split(b",")[:5])  # Div, Date, Time and the teams: no result
            original = b"\n".join(lines)
        elif name == "I1":
            original = original.decode("utf-8-sig").encode("utf-16")
        path.write_bytes(original)
    return files


def test_every_tried_file_is_logged_with_its_outcome_and_db_report_shows_it(
    sample_dir: Path, pg_url: str, tmp_path: Path
) -> None:
    files = broken_archive(sample_dir, tmp_path / "football-data")
    env = {"SOCCER_DB_URL": pg_url, "SOCCER_HOME": str(tmp_path / "home"), "COLUMNS": "400", "NO_COLOR": "1"}
    runner = CliRunner()

    ingest = runner.invoke(app, ["ingest", "football-data", str(tmp_path / "football-data")], env=env)

    assert ingest.exit_code == 1, ingest.output  # a file failed
    assert f"failed to parse {files['I1']}" in ingest.output
    engine = create_db_engine(pg_url)
    missing = tmp_path / "football-data" / "SP1" / "2324.csv"  # gone between discovery and reading
    unread = ingest_football_data([SourceRef(str(missing), "SP1", "2324")], engine)
    assert [o.failure for o in unread.outcomes] == ["failed to read"]
    with engine.connect() as conn:
        logged = conn.execute(
            text(
                "SELECT source, status, outcome, rows_loaded, rows_rejected, rejections, error, checksum "
                "FROM ingestion_log ORDER BY source"
            )
        ).all()
    engine.dispose()
    by_source = {row.source: row for row in logged}
    assert sorted(by_source) == sorted(str(p) for p in [*files.values(), missing])
    assert len(logged) == 5

    intact, cut, short, utf16 = (by_source[str(files[name])] for name in ("E0", "D1", "F1", "I1"))
    assert (intact.status, intact.outcome, intact.rows_loaded, intact.rows_rejected) == ("ok", "loaded", 380, 0)
    assert (cut.status, cut.outcome, cut.rows_loaded) == ("ok", "loaded with rejected rows", 305)
    assert [(r["line"], r["reason"]) for r in cut.rejections if r["scope"] == "row"] == [(307, TRUNCATED_ROW)]
    assert (short.outcome, short.rows_loaded, short.rows_rejected) == ("loaded with rejected rows", 305, 1)
    [reason] = [r["reason"] for r in short.rejections if r["scope"] == "row"]
    assert reason.startswith("short row: 5 fields where the header has")
    assert (utf16.status, utf16.outcome, utf16.rows_loaded) == ("failed", "failed to parse", 0)
    assert "UTF-16" in utf16.error
    assert utf16.checksum == hashlib.sha256(files["I1"].read_bytes()).hexdigest()
    unreadable = by_source[str(missing)]
    assert (unreadable.outcome, unreadable.checksum) == ("failed to read", None)
    assert "source file not found" in unreadable.error

    report = runner.invoke(app, ["db", "report"], env=env)

    assert report.exit_code == 0, report.output
    lines = report.output.splitlines()
    for source, outcome in [
        (files["E0"], "loaded"),
        (files["D1"], "loaded with rejected rows"),
        (files["F1"], "loaded with rejected rows"),
        (files["I1"], "failed to parse"),
        (missing, "failed to read"),
    ]:
        [line] = [line for line in lines if str(source) in line]
        assert f" {outcome} " in line, line
    assert any("UTF-16" in line for line in lines)
