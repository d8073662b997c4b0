"""Load one parsed file: one transaction, idempotent, logged; skipped when its checksum was the last ok load."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import pandas as pd
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository.log import Clock, _describe, _log_entry, _log_failure, _utcnow
from soccerpredict.data.repository.reference import _ensure_divisions_and_seasons, _save_aliases, _team_ids
from soccerpredict.data.repository.rows import _match_rows, _odds_rows, _stat_rows, _unique_matches
from soccerpredict.data.repository.tables import LOG, MATCH_SPEC, ODDS_SPEC, STATS_SPEC
from soccerpredict.data.repository.upsert import _Writer, _writer
from soccerpredict.errors import DataError

logger = logging.getLogger(__name__)

LoadStatus = Literal["loaded", "unchanged", "failed"]
#: Tables whose planner statistics a load keeps fresh.
ANALYZED_TABLES = ("teams", "matches", "match_stats", "odds")


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What loading one parsed file did.

    ``odds_rows`` counts the file's odds rows now in the database; ``rows_rejected``, ``odds_rejected`` and
    ``blank_rows`` are the parser's counts (plus duplicate match ids dropped here).
    """

    source: str
    status: LoadStatus
    matches_inserted: int = 0
    matches_updated: int = 0
    matches_unchanged: int = 0
    odds_rows: int = 0
    rows_rejected: int = 0
    odds_rejected: int = 0
    blank_rows: int = 0
    seconds: float = 0.0


def load_parsed_file(
    engine: Engine,
    parsed: ParsedFile,
    *,
    force: bool = False,
    aliases: Mapping[str, str] | None = None,
    clock: Clock = _utcnow,
) -> LoadResult:
    """Upsert one parsed file in one transaction and log it; skip it when already loaded (unless ``force``).

    ``aliases`` maps other spellings to canonical team names, saved with the file.
    Raises :class:`DataError` naming the file when anything fails; nothing of the file is kept then.
    """
    start = time.perf_counter()
    started_at = clock().astimezone(UTC)
    try:
        if not force and _already_loaded(engine, parsed):
            kept = _Written(unchanged=len(parsed.matches), odds=len(parsed.odds))
            return _result(parsed, "unchanged", kept, start)
        with engine.begin() as conn:
            written = _load(conn, parsed, started_at, clock, aliases)
    except Exception as exc:  # any failure: record it, then name the file
        message = _describe(exc)
        _log_failure(engine, parsed, started_at, clock().astimezone(UTC), message)
        raise DataError(f"could not load {parsed.source}: {message}") from exc
    _refresh_statistics(engine)
    return _result(parsed, "loaded", written, start)


@dataclass(frozen=True, slots=True)
class _Written:
    """What one load did to the database."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    odds: int = 0
    #: Rows dropped here (duplicate match ids), on top of the parser's rejections.
    dropped: tuple[Rejection, ...] = ()


def _result(parsed: ParsedFile, status: LoadStatus, written: _Written, start: float) -> LoadResult:
    rejections = [*parsed.rejections, *written.dropped]
    return LoadResult(
        source=parsed.source,
        status=status,
        matches_inserted=written.inserted,
        matches_updated=written.updated,
        matches_unchanged=written.unchanged,
        odds_rows=written.odds,
        rows_rejected=sum(r.scope == "row" for r in rejections),
        odds_rejected=sum(r.scope == "odds" for r in rejections),
        blank_rows=parsed.blank_rows,
        seconds=time.perf_counter() - start,
    )


def unchanged_since_last_load(engine: Engine, source: str, checksum: str) -> LoadResult | None:
    """The last ok load of ``source`` as an "unchanged" result when it had this checksum, else None.

    Callers check this before parsing, so re-running an ingestion over unchanged files costs one query each.
    """
    latest = (
        select(LOG.c.checksum, LOG.c.rows_loaded, LOG.c.rows_rejected, LOG.c.odds_rejected, LOG.c.blank_rows)
        .where(LOG.c.source == source, LOG.c.status == "ok")
        .order_by(LOG.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(latest).first()
    if row is None or row.checksum != checksum:
        return None
    return LoadResult(
        source,
        "unchanged",
        matches_unchanged=row.rows_loaded,
        rows_rejected=row.rows_rejected,
        odds_rejected=row.odds_rejected,
        blank_rows=row.blank_rows,
    )


def _already_loaded(engine: Engine, parsed: ParsedFile) -> bool:
    """Whether the latest successful load of this source had this checksum (an older one may be stale)."""
    return unchanged_since_last_load(engine, parsed.source, parsed.checksum) is not None


def _load(
    conn: Connection,
    parsed: ParsedFile,
    started_at: datetime,
    clock: Clock,
    aliases: Mapping[str, str] | None,
) -> _Written:
    """Write the file's rows and its log entry."""
    matches, dropped = _unique_matches(parsed)
    match_ids = matches["match_id"].tolist()
    odds = _odds_rows(parsed.odds, set(match_ids))
    _ensure_divisions_and_seasons(conn, matches["div"], matches["season"])
    team_ids = _team_ids(conn, [*matches["home_team"], *matches["away_team"], *(aliases or {}).values()])
    if aliases:
        _save_aliases(conn, aliases, team_ids, parsed.source)
    writer = _writer(conn)
    existing, changed = writer.write(MATCH_SPEC, _match_rows(matches, team_ids, parsed.source, started_at), match_ids)
    writer.write(STATS_SPEC, _stat_rows(matches), match_ids)
    _write_odds(writer, odds, match_ids)
    finished_at = clock().astimezone(UTC)
    log = _log_entry(parsed, "ok", len(matches), [*parsed.rejections, *dropped], started_at, finished_at)
    conn.execute(insert(LOG), log)
    inserted = len(matches) - existing
    updated = changed - inserted
    return _Written(inserted, updated, existing - updated, len(odds), tuple(dropped))


def _write_odds(writer: _Writer, odds: pd.DataFrame, match_ids: list[str]) -> None:
    writer.write(ODDS_SPEC, odds, match_ids)


def _refresh_statistics(engine: Engine) -> None:
    """ANALYZE the loaded tables (PostgreSQL) once they have grown by a quarter since their last analysis.

    Autovacuum does this on most servers, but it may be off (as on these machines) or lag behind a bulk
    load; without statistics the match-frame query plans sorts that spill to disk and runs 2-3 times slower.
    Growth is read from the table's size on disk against the page count the last ANALYZE saw: exact at
    once, unlike the activity counters, which are flushed with a delay.
    """
    if engine.dialect.name != "postgresql":
        return
    grown = text(
        "SELECT t.name FROM unnest(CAST(:tables AS text[])) AS t(name) JOIN pg_class c ON c.oid = to_regclass(t.name) "
        "WHERE pg_relation_size(c.oid) > (1.25 * c.relpages + 16) * current_setting('block_size')::int"
    )
    try:
        with engine.begin() as conn:
            for table in conn.execute(grown, {"tables": list(ANALYZED_TABLES)}).scalars().all():
                conn.execute(text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table)}"))
    except SQLAlchemyError as exc:  # e.g. a role that may write but not analyze: loading still succeeded
        logger.warning("could not refresh table statistics: %s", _describe(exc))
