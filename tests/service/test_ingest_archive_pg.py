"""The whole real archive (607 files, ~212,000 matches) into the real PostgreSQL, twice."""

from pathlib import Path

import pytest
from sqlalchemy import text

from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data

pytestmark = [pytest.mark.service, pytest.mark.slow]


def test_every_real_file_ingests_with_its_rejections_reported(shared_data: Path, pg_url: str) -> None:
    migrate(pg_url)
    engine = create_db_engine(pg_url)
    refs = plan_football_data([str(shared_data / "football-data")])
    assert len(refs) == 607

    first = ingest_football_data(refs, engine)
    assert [o.error for o in first.failed] == []
    assert first.statuses()["loaded"] == 607
    loaded = first.total("matches_inserted")
    rejected = first.total("rows_rejected")
    assert 210_000 < loaded + rejected <= 212_622
    assert all(r.source and r.line > 1 and r.reason for r in first.rejections())

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM matches")).scalar_one() == loaded
        logged = conn.execute(text("SELECT sum(rows_rejected) FROM ingestion_log WHERE status = 'ok'")).scalar_one()
        assert logged == rejected

    again = ingest_football_data(refs, engine)
    assert again.statuses()["unchanged"] == 607
    assert again.total("matches_inserted") == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM matches")).scalar_one() == loaded
    engine.dispose()


def test_concurrent_workers_load_exactly_what_one_worker_loads(sample_dir: Path, pg_url: str) -> None:
    """Two files in flight at once (the PostgreSQL default) give the same database as one at a time."""
    migrate(pg_url)
    engine = create_db_engine(pg_url)
    refs = plan_football_data([str(sample_dir)])
    parallel = ingest_football_data(refs, engine, workers=2)
    assert [o.ref for o in parallel.outcomes] == refs  # outcomes keep the order of the sources
    assert [o.error for o in parallel.failed] == []
    query = text(
        "SELECT m.match_id, h.name, a.name, m.fthg, m.ftag, count(o.match_id) FROM matches m "
        "JOIN teams h ON h.id = m.home_team_id JOIN teams a ON a.id = m.away_team_id "
        "LEFT JOIN odds o ON o.match_id = m.match_id GROUP BY m.match_id, h.name, a.name, m.fthg, m.ftag "
        "ORDER BY m.match_id"
    )
    with engine.connect() as conn:
        concurrent_rows = conn.execute(query).all()
        teams = conn.execute(text("SELECT count(*), count(DISTINCT name) FROM teams")).one()
    assert teams[0] == teams[1]  # no team was created twice by two files racing
    forced = ingest_football_data(refs, engine, workers=1, force=True)
    assert forced.total("matches_inserted") == 0 and forced.total("matches_updated") == 0
    with engine.connect() as conn:
        assert conn.execute(query).all() == concurrent_rows
    assert len(concurrent_rows) == parallel.total("matches_inserted")
    engine.dispose()
