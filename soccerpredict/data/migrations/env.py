"""Alembic environment: run by :func:`soccerpredict.data.db.migrate` with an open connection.

New revisions: ``alembic -c <config with script_location=soccerpredict/data/migrations> revision --autogenerate``
against a database at head, with ``sqlalchemy.url`` set in that config.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from soccerpredict.data.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite (it copies the table).
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Use the caller's connection when given (the normal path), else the configured URL."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; use soccerpredict db upgrade")
run_migrations_online()
