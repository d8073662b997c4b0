"""Database engines and schema migrations (Alembic, run in-process; no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import URL, Connection, Engine, make_url

__all__ = ["MIGRATIONS_DIR", "create_db_engine", "current_revision", "head_revision", "migrate", "redact_url"]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Key of the PostgreSQL advisory lock that serialises concurrent `migrate` calls (Airflow tasks, CLI runs).
_MIGRATION_LOCK = 0x50CCE2


def _normalise(url: str | URL) -> URL:
    """Use psycopg 3 for plain ``postgresql://`` URLs: it is the driver installed (and COPY needs it)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def create_db_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite connections enforce foreign keys and wait on locks instead of failing."""
    parsed = _normalise(url)
    if parsed.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    engine = create_engine(parsed, **kwargs)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.close()


def redact_url(url: str | URL) -> str:
    """The URL with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


def _alembic_config(connection: Connection | None = None) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(url: str | URL, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (default: the latest); a no-op when already there."""
    from alembic import command

    engine = create_db_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # Two processes migrating at once would race on CREATE TABLE; the second waits here instead.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
            command.upgrade(_alembic_config(connection), revision)
    finally:
        engine.dispose()


def current_revision(url: str | URL) -> str | None:
    """The revision the database at ``url`` is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The latest revision shipped with this package."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIR}")
    return head
