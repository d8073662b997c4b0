"""What the commands share besides output: the settings, the migrated database and report time stamps."""

from __future__ import annotations

from datetime import UTC, datetime

from soccerpredict.settings import Settings

__all__ = ["load_settings", "open_engine", "stamp"]


def load_settings() -> Settings:
    """The settings from the environment (each command builds them once, at its start)."""
    return Settings()


def open_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """The database engine, after migrating the schema to head (SQLite's folder created first)."""
    from soccerpredict.data.db import create_db_engine, migrate

    settings.home_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    return create_db_engine(settings.database_url)


def stamp() -> str:
    """The current UTC time for report names, e.g. ``20240817T153000``."""
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
