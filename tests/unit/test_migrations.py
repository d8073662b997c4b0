"""Migrations ship in the package, create every table, and agree with the SQLAlchemy models (SQLite here;
the PostgreSQL check is in tests/unit/test_repository.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

import soccerpredict
from soccerpredict.data.columns import STAT_COLUMNS
from soccerpredict.data.db import (
    MIGRATIONS_DIR,
    create_db_engine,
    current_revision,
    head_revision,
    migrate,
    redact_url,
)
from soccerpredict.data.schema import DIVISIONS, Base, MatchStats, season_start_year

TABLES = {"divisions", "seasons", "teams", "team_aliases", "matches", "match_stats", "odds", "ingestion_log"}


def test_migrating_an_empty_database_creates_every_table(sqlite_url: str) -> None:
    assert current_revision(sqlite_url) is None

    migrate(sqlite_url)

    engine = create_db_engine(sqlite_url)
    assert set(inspect(engine).get_table_names()) == TABLES | {"alembic_version"}
    assert set(Base.metadata.tables) == TABLES
    assert current_revision(sqlite_url) == head_revision()
    engine.dispose()


def test_migrating_twice_is_a_no_op(sqlite_url: str) -> None:
    migrate(sqlite_url)
    migrate(sqlite_url)

    assert current_revision(sqlite_url) == head_revision()


def test_the_migrated_database_agrees_with_the_models(sqlite_url: str) -> None:
    migrate(sqlite_url)

    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diffs == []


def test_migrations_ship_inside_the_package() -> None:
    package = Path(soccerpredict.__file__).parent
    assert MIGRATIONS_DIR.is_relative_to(package)
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "script.py.mako").is_file()
    assert sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py")) == [
        "0001_initial.py",
        "0002_ingestion_outcome.py",
    ]
    assert head_revision() == "0002"


def test_upgrading_gives_logged_loads_their_outcome_and_keeps_the_checks(sqlite_url: str) -> None:
    migrate(sqlite_url, "0001")
    engine = create_db_engine(sqlite_url)
    columns = "source, checksum, rows_loaded, rows_rejected, odds_rejected, blank_rows, rejections, started_at, "
    with engine.begin() as conn:
        conn.execute(
            text(
                f"INSERT INTO ingestion_log ({columns} finished_at, status) VALUES "
                "('a.csv', 'x', 3, 0, 1, 0, '[]', '2024-01-01', '2024-01-01', 'ok'), "
                "('b.csv', 'y', 3, 2, 0, 0, '[]', '2024-01-01', '2024-01-01', 'ok'), "
                "('c.csv', 'z', 0, 0, 0, 0, '[]', '2024-01-01', '2024-01-01', 'failed')"
            )
        )

    migrate(sqlite_url)

    with engine.connect() as conn:
        logged = conn.execute(text("SELECT source, outcome FROM ingestion_log ORDER BY id")).all()
    assert logged == [("a.csv", "loaded"), ("b.csv", "loaded with rejected rows"), ("c.csv", "failed to load")]
    for change in ("outcome = 'maybe'", "status = 'maybe'"):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(f"UPDATE ingestion_log SET {change}"))
    engine.dispose()


def test_sqlite_engines_enforce_foreign_keys(sqlite_url: str) -> None:
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar_one() == 1
    engine.dispose()


def test_plain_postgres_urls_use_psycopg_3() -> None:
    engine = create_db_engine("postgresql://user:secret@db.example:5432/soccer")

    assert engine.dialect.driver == "psycopg"
    assert redact_url(engine.url) == "postgresql+psycopg://user:***@db.example:5432/soccer"
    engine.dispose()


def test_every_statistic_of_the_match_frame_has_a_column() -> None:
    assert set(STAT_COLUMNS) == set(MatchStats.__table__.columns.keys()) - {"match_id"}


def test_the_22_football_data_divisions_are_named() -> None:
    assert len(DIVISIONS) == 22
    assert DIVISIONS["E0"] == ("Premier League", "England")
    assert DIVISIONS["SC3"][1] == "Scotland"


@pytest.mark.parametrize(("code", "year"), [("9394", 1993), ("9900", 1999), ("0001", 2000), ("2324", 2023)])
def test_season_codes_give_their_start_year(code: str, year: int) -> None:
    assert season_start_year(code) == year


@pytest.mark.parametrize("code", ["23/24", "23", "x324"])
def test_malformed_season_codes_are_refused(code: str) -> None:
    with pytest.raises(ValueError, match="four digits"):
        season_start_year(code)
