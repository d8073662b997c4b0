"""The ingestion log: one row per attempt at a source, written with the load or on its own when it failed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import SQLAlchemyError

from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository.tables import LOG

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
#: Longest error text kept in the ingestion log.
MAX_ERROR_CHARS = 2000


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _describe(exc: BaseException) -> str:
    """The driver's own message for database errors (without SQLAlchemy's SQL and parameter dump)."""
    inner = getattr(exc, "orig", None) or exc
    message = f"{type(inner).__name__}: {inner}".strip()
    return message[:MAX_ERROR_CHARS]


def _log_failure(engine: Engine, parsed: ParsedFile, started_at: datetime, finished_at: datetime, error: str) -> None:
    """Record a failed attempt in its own transaction (the file's own one was rolled back)."""
    entry = _log_entry(parsed, "failed", 0, list(parsed.rejections), started_at, finished_at, error)
    try:
        with engine.begin() as conn:
            conn.execute(insert(LOG), entry)
    except SQLAlchemyError:
        pass  # the database itself is failing; the caller still gets the original error


def log_failed_source(
    engine: Engine,
    *,
    source: str,
    outcome: Literal["failed to read", "failed to parse"],
    error: str,
    checksum: str | None = None,
    div: str | None = None,
    season: str | None = None,
    started_at: datetime | None = None,
    clock: Clock = _utcnow,
) -> None:
    """Record a source that never reached loading (unreadable, or not a file the parser understands).

    Written in its own transaction; a database that fails here is logged as a warning, not raised,
    so the caller still reports the source's own error.
    """
    finished_at = clock().astimezone(UTC)
    entry: dict[str, Any] = {
        "source": source,
        "checksum": checksum,
        "div": div,
        "season": season,
        "rows_loaded": 0,
        "rows_rejected": 0,
        "odds_rejected": 0,
        "blank_rows": 0,
        "rejections": [],
        "started_at": (started_at or finished_at).astimezone(UTC),
        "finished_at": finished_at,
        "status": "failed",
        "outcome": outcome,
        "error": error[:MAX_ERROR_CHARS],
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(LOG), entry)
    except SQLAlchemyError as exc:
        logger.warning("could not log the failed source %s: %s", source, _describe(exc))


def _log_entry(
    parsed: ParsedFile,
    status: str,
    rows_loaded: int,
    rejections: list[Rejection],
    started_at: datetime,
    finished_at: datetime,
    error: str | None = None,
) -> dict[str, Any]:
    rows_rejected = sum(r.scope == "row" for r in rejections)
    loaded = "loaded with rejected rows" if rows_rejected else "loaded"
    outcome = "failed to load" if status == "failed" else loaded
    return {
        "source": parsed.source,
        "checksum": parsed.checksum,
        "div": parsed.div,
        "season": parsed.season,
        "rows_loaded": rows_loaded,
        "rows_rejected": rows_rejected,
        "odds_rejected": sum(r.scope == "odds" for r in rejections),
        "blank_rows": parsed.blank_rows,
        "rejections": [{"line": int(r.line), "reason": r.reason, "scope": r.scope} for r in rejections],
        "started_at": started_at,
        "finished_at": finished_at,
        "status": status,
        "outcome": outcome,
        "error": error,
    }


def ingestion_report(engine: Engine) -> pd.DataFrame:
    """The ingestion log, oldest first: one row per attempt with its counts, rejections, status and outcome."""
    with engine.connect() as conn:
        rows = conn.execute(select(LOG).order_by(LOG.c.id)).all()
    frame = pd.DataFrame.from_records(rows, columns=[c.name for c in LOG.columns])
    for column in ("started_at", "finished_at"):
        # SQLite hands back naive datetimes; everything is written in UTC, so say so.
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
