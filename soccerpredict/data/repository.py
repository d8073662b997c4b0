"""Load parsed files into the database and read match frames back.

Loading is one transaction per file and idempotent: rows are upserted by key, a row is only
rewritten (and its ``updated_at`` moved) when one of its values changed, and odds or statistics that
a corrected file no longer has are deleted for the matches of that file. A file whose checksum was
the last successful load of its source is skipped unless forced.

Bulk paths: on PostgreSQL (psycopg 3) rows are COPYed into temporary tables and merged with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS DISTINCT FROM (…)`` per table; elsewhere
(SQLite) one ``executemany`` of ``INSERT … ON CONFLICT DO UPDATE`` per table.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from soccerpredict.data.columns import (
    MARKET_AVG,
    MARKET_MAX,
    MATCH_COLUMNS,
    ODDS_COLUMNS,
    ODDS_PRE_AVG,
    ODDS_WIDE_COLUMNS,
    PINNACLE,
    STAT_COLUMNS,
)
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.schema import (
    DIVISIONS,
    Division,
    IngestionLog,
    Match,
    MatchStats,
    Odds,
    Season,
    Team,
    TeamAlias,
    season_start_year,
)
from soccerpredict.errors import DataError

__all__ = [
    "LoadResult",
    "division_counts",
    "ingestion_report",
    "load_match_frame",
    "load_odds",
    "load_parsed_file",
    "log_failed_source",
    "save_team_aliases",
]

logger = logging.getLogger(__name__)

LoadStatus = Literal["loaded", "unchanged", "failed"]
#: Decimals the bookmakers' mean pre-match price is rounded to (load_match_frame says why).
_MEAN_DECIMALS = 9
Clock = Callable[[], datetime]

MATCHES: Table = Match.__table__  # type: ignore[assignment]
STATS: Table = MatchStats.__table__  # type: ignore[assignment]
ODDS: Table = Odds.__table__  # type: ignore[assignment]
TEAMS: Table = Team.__table__  # type: ignore[assignment]
LOG: Table = IngestionLog.__table__  # type: ignore[assignment]

GOAL_COLUMNS = ("fthg", "ftag", "hthg", "htag")
INT_COLUMNS = GOAL_COLUMNS + STAT_COLUMNS
SIDES = ("home", "draw", "away")
#: Column -> kind ("text", "date", "int", "float") of the frames read back.
MATCH_FRAME_TYPES: dict[str, str] = {
    **dict.fromkeys(MATCH_COLUMNS, "text"),
    "date": "date",
    **dict.fromkeys(INT_COLUMNS, "int"),
    **dict.fromkeys(ODDS_WIDE_COLUMNS, "float"),
}
ODDS_TYPES: dict[str, str] = {**dict.fromkeys(ODDS_COLUMNS, "text"), **dict.fromkeys(SIDES, "float")}
#: How read_csv parses each kind: integers with gaps as float64 (C parser) and then Int64, much faster than
#: parsing straight to Int64.
CSV_DTYPES = {"text": "str", "date": "str", "int": "float64", "float": "float64"}
#: Tables whose planner statistics a load keeps fresh.
ANALYZED_TABLES = ("teams", "matches", "match_stats", "odds")
#: Longest error text kept in the ingestion log.
MAX_ERROR_CHARS = 2000


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


@dataclass(frozen=True, slots=True)
class _Spec:
    """How one table is upserted: its key, the columns whose change counts, and what else is written."""

    table: Table
    keys: tuple[str, ...]
    compared: tuple[str, ...]
    #: Written with a change but not compared: who changed the row and when.
    stamped: tuple[str, ...] = ()
    #: Delete rows of the file's matches that the file no longer has (odds, statistics).
    prune: bool = True
    #: Count the file's rows that already existed (matches: inserted vs updated).
    count: bool = False

    @property
    def columns(self) -> tuple[str, ...]:
        return self.keys + self.compared + self.stamped


MATCH_DB_COLUMNS = (
    "div",
    "season",
    "date",
    "kickoff_time",
    "home_team_id",
    "away_team_id",
    *GOAL_COLUMNS,
    "ftr",
    "htr",
    "referee",
    "status",
)
MATCH_SPEC = _Spec(MATCHES, ("match_id",), MATCH_DB_COLUMNS, ("source", "updated_at"), prune=False, count=True)
STATS_SPEC = _Spec(STATS, ("match_id",), STAT_COLUMNS)
ODDS_SPEC = _Spec(ODDS, ("match_id", "bookmaker", "kind"), ("home", "draw", "away"))


def _utcnow() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------- loading


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


# ----------------------------------------------------------------------------- frames for the tables


def _unique_matches(parsed: ParsedFile) -> tuple[pd.DataFrame, list[Rejection]]:
    """The file's matches with one row per match id; later duplicates become rejections.

    The parser already rejects duplicate (division, date, teams); this guards the upsert, which cannot
    touch one row twice in a statement.
    """
    matches = parsed.matches.reindex(columns=[*MATCH_COLUMNS, "line"])
    duplicated = matches["match_id"].duplicated()
    dropped = [
        Rejection(parsed.source, _line(line), f"duplicate match_id {match_id!r} (first row kept)")
        for match_id, line in zip(matches.loc[duplicated, "match_id"], matches.loc[duplicated, "line"], strict=True)
    ]
    return matches.loc[~duplicated].reset_index(drop=True), dropped


def _line(value: Any) -> int:
    return int(value) if pd.notna(value) else 0


def _match_rows(matches: pd.DataFrame, team_ids: Mapping[str, int], source: str, now: datetime) -> pd.DataFrame:
    rows = pd.DataFrame(
        {
            "match_id": matches["match_id"],
            "div": matches["div"],
            "season": matches["season"],
            "date": pd.to_datetime(matches["date"]).to_numpy(dtype="datetime64[D]").astype(object),
            "kickoff_time": matches["kickoff_time"],
            "home_team_id": matches["home_team"].map(team_ids),
            "away_team_id": matches["away_team"].map(team_ids),
        }
    )
    for column in GOAL_COLUMNS:
        rows[column] = _as_int(matches[column])
    for column in ("ftr", "htr", "referee", "status"):
        rows[column] = matches[column]
    rows["source"] = source
    rows["updated_at"] = now
    return rows


def _stat_rows(matches: pd.DataFrame) -> pd.DataFrame:
    """One row per match with at least one statistic (a match without any has no row)."""
    stats = pd.DataFrame({column: _as_int(matches[column]) for column in STAT_COLUMNS})
    stats.insert(0, "match_id", matches["match_id"])
    return stats.loc[stats[list(STAT_COLUMNS)].notna().any(axis=1)].reset_index(drop=True)


def _odds_rows(odds: pd.DataFrame, match_ids: set[str]) -> pd.DataFrame:
    """The file's prices for its own matches, one row per (match, bookmaker, kind)."""
    rows = odds.reindex(columns=list(ODDS_COLUMNS))
    rows = rows.loc[rows["match_id"].isin(match_ids)]
    rows = rows.drop_duplicates(subset=list(ODDS_SPEC.keys), keep="first")
    for column in ("home", "draw", "away"):
        rows[column] = pd.to_numeric(rows[column]).astype(float)
    return rows.reset_index(drop=True)


def _as_int(values: pd.Series) -> pd.Series:
    """Nullable integers (a float column such as 2.0/NaN from the parser becomes 2/<NA>)."""
    return pd.to_numeric(values).astype("Int64")


def _records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of plain Python values, missing values as None (drivers reject numpy scalars)."""
    return list(zip(*(_plain(frame[c]) for c in frame.columns), strict=True))


def _plain(values: pd.Series) -> list[Any]:
    objects = values.to_numpy(dtype=object, copy=True)
    objects[values.isna().to_numpy()] = None
    return objects.tolist()


# ------------------------------------------------------------------------------- reference rows, teams


def _dialect_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT construct, which has ON CONFLICT."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise DataError(f"database {conn.dialect.name!r} is not supported: use PostgreSQL or SQLite")


def _ensure_divisions_and_seasons(conn: Connection, divisions: Iterable[str], seasons: Iterable[str]) -> None:
    """Insert the divisions and seasons the file refers to, when new (names from DIVISIONS, else the code)."""
    division_rows = []
    for code in sorted(set(divisions)):
        name, country = DIVISIONS.get(code, (code, None))
        division_rows.append({"code": code, "name": name, "country": country})
    season_rows = [{"code": code, "start_year": season_start_year(code)} for code in sorted(set(seasons))]
    for table, rows in ((Division.__table__, division_rows), (Season.__table__, season_rows)):
        if rows:
            conn.execute(_dialect_insert(conn, table).on_conflict_do_nothing(), rows)  # type: ignore[arg-type]


def _team_ids(conn: Connection, names: Iterable[str]) -> dict[str, int]:
    """Ids of the given canonical team names, creating the teams that are new."""
    wanted = sorted(set(names))
    known = _select_team_ids(conn, wanted)
    missing = [name for name in wanted if name not in known]
    if missing:
        # Insert only the missing names: ON CONFLICT alone would burn a sequence value per known team per file.
        stmt = _dialect_insert(conn, TEAMS).on_conflict_do_nothing(index_elements=["name"])
        conn.execute(stmt, [{"name": name} for name in missing])
        known.update(_select_team_ids(conn, missing))
    return known


def _select_team_ids(conn: Connection, names: Sequence[str]) -> dict[str, int]:
    if not names:
        return {}
    rows = conn.execute(select(TEAMS.c.name, TEAMS.c.id).where(TEAMS.c.name.in_(names)))
    return {name: team_id for name, team_id in rows}


def save_team_aliases(engine: Engine, aliases: Mapping[str, str], *, source: str) -> int:
    """Store other spellings of team names (alias -> canonical name); returns how many were new or changed."""
    with engine.begin() as conn:
        return _save_aliases(conn, aliases, _team_ids(conn, aliases.values()), source)


def _save_aliases(conn: Connection, aliases: Mapping[str, str], team_ids: Mapping[str, int], source: str) -> int:
    table: Table = TeamAlias.__table__  # type: ignore[assignment]
    rows = [{"alias": alias, "team_id": team_ids[name], "source": source} for alias, name in aliases.items()]
    if not rows:
        return 0
    stmt = _dialect_insert(conn, table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["alias"],
        set_={"team_id": stmt.excluded.team_id, "source": stmt.excluded.source},
        where=table.c.team_id.is_distinct_from(stmt.excluded.team_id),
    ).execution_options(preserve_rowcount=True)
    return int(conn.execute(stmt, rows).rowcount)


# -------------------------------------------------------------------------------------------- writers


class _Writer(Protocol):
    def write(self, spec: _Spec, frame: pd.DataFrame, match_ids: list[str]) -> tuple[int, int]:
        """Upsert ``frame`` and prune the file's vanished rows.

        Returns (rows that existed before, counted only when ``spec.count``; rows inserted or changed).
        """
        ...


def _writer(conn: Connection) -> _Writer:
    if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
        return _CopyWriter(conn)
    return _ExecutemanyWriter(conn)


def _changed(conn: Connection, spec: _Spec, excluded: Any) -> ColumnElement[bool]:
    """The upsert's WHERE: some compared value differs (NULL-safe)."""
    current = [spec.table.c[c] for c in spec.compared]
    new = [excluded[c] for c in spec.compared]
    if conn.dialect.name == "postgresql":
        return tuple_(*current).is_distinct_from(tuple_(*new))
    return or_(*(a.is_distinct_from(b) for a, b in zip(current, new, strict=True)))


def _upsert_statement(conn: Connection, spec: _Spec, rows: Select[Any] | None = None) -> Any:
    stmt = _dialect_insert(conn, spec.table)
    if rows is not None:
        stmt = stmt.from_select(list(spec.columns), rows)
    # rowcount of an INSERT (rows inserted or changed) is only kept when asked for.
    return stmt.on_conflict_do_update(
        index_elements=list(spec.keys),
        set_={c: stmt.excluded[c] for c in spec.compared + spec.stamped},
        where=_changed(conn, spec, stmt.excluded),
    ).execution_options(preserve_rowcount=True)


class _CopyWriter:
    """PostgreSQL: COPY into a temporary table, then one merge statement; round trips do not grow with rows."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.quote = conn.dialect.identifier_preparer.quote
        # Every statement here touches the file's few thousand keys. Without fresh statistics (autovacuum
        # off, or a table that grew during a bulk load) the planner may scan all of odds per file instead,
        # and a scan-sized cost estimate then also triggers JIT compilation; pin index plans, no JIT.
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        conn.execute(text("SET LOCAL jit = off"))

    def write(self, spec: _Spec, frame: pd.DataFrame, match_ids: list[str]) -> tuple[int, int]:
        staging = f"_load_{spec.table.name}"
        columns = ", ".join(self.quote(c) for c in spec.columns)
        self.conn.execute(
            text(f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS SELECT {columns} FROM {spec.table.name} WITH NO DATA")
        )
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor, cursor.copy(f"COPY {staging} ({columns}) FROM STDIN") as copy:
            for record in _records(frame[list(spec.columns)]):
                copy.write_row(record)
        existing = 0
        if spec.count:
            keys = ", ".join(self.quote(c) for c in spec.keys)
            join = f"SELECT count(*) FROM {staging} JOIN {spec.table.name} USING ({keys})"
            existing = self.conn.execute(text(join)).scalar_one()
        if spec.prune:
            self._prune(spec, staging, match_ids)
        staged = select(*sql_table(staging, *(sql_column(c) for c in spec.columns)).c)
        written = self.conn.execute(_upsert_statement(self.conn, spec, staged)).rowcount
        return int(existing), int(written)

    def _prune(self, spec: _Spec, staging: str, match_ids: list[str]) -> None:
        same_key = " AND ".join(f"s.{self.quote(c)} = t.{self.quote(c)}" for c in spec.keys)
        self.conn.execute(
            text(
                f"DELETE FROM {spec.table.name} AS t WHERE t.match_id = ANY(:ids) "
                f"AND NOT EXISTS (SELECT 1 FROM {staging} AS s WHERE {same_key})"
            ),
            {"ids": match_ids},
        )


class _ExecutemanyWriter:
    """SQLite (and other drivers): one executemany of the upsert; the file's existing keys are read first."""

    #: Ids per IN (...) query, well under SQLite's bound-parameter limit.
    CHUNK = 500

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def write(self, spec: _Spec, frame: pd.DataFrame, match_ids: list[str]) -> tuple[int, int]:
        before = self._existing_keys(spec, match_ids)
        records = _records(frame[list(spec.columns)])
        keys = {record[: len(spec.keys)] for record in records}
        if spec.prune and (vanished := before - keys):
            names = [f"key_{c}" for c in spec.keys]
            condition = and_(*(spec.table.c[c] == bindparam(n) for c, n in zip(spec.keys, names, strict=True)))
            self.conn.execute(
                spec.table.delete().where(condition), [dict(zip(names, k, strict=True)) for k in vanished]
            )
        written = 0
        if records:
            params = [dict(zip(spec.columns, record, strict=True)) for record in records]
            written = self.conn.execute(_upsert_statement(self.conn, spec), params).rowcount
        return len(before & keys), int(written)

    def _existing_keys(self, spec: _Spec, match_ids: list[str]) -> set[tuple[Any, ...]]:
        key_columns = [spec.table.c[c] for c in spec.keys]
        found: set[tuple[Any, ...]] = set()
        for i in range(0, len(match_ids), self.CHUNK):
            chunk = match_ids[i : i + self.CHUNK]
            found.update(tuple(row) for row in self.conn.execute(select(*key_columns).where(key_columns[0].in_(chunk))))
        return found


# -------------------------------------------------------------------------------------------- reading


def _match_filters(
    divisions: Sequence[str] | None, seasons: Sequence[str] | None, status: str | Sequence[str] | None
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if divisions is not None:
        filters.append(MATCHES.c.div.in_(list(divisions)))
    if seasons is not None:
        filters.append(MATCHES.c.season.in_(list(seasons)))
    if status is not None:
        filters.append(MATCHES.c.status.in_([status] if isinstance(status, str) else list(status)))
    return filters


def _scoped(stmt: Select[Any], filters: list[ColumnElement[bool]]) -> Select[Any]:
    """Restrict a query over odds to the matches the filters select."""
    return stmt.where(ODDS.c.match_id.in_(select(MATCHES.c.match_id).where(*filters))) if filters else stmt


def _wide_odds(filters: list[ColumnElement[bool]]) -> tuple[Any, Any]:
    """Two per-match subqueries: the named prices (market average, Pinnacle) and the bookmakers' mean.

    The mean is only computed for matches without a market-average pre price (mostly before 2005/06):
    averaging every bookmaker's row for every match would cost most of the read.
    """
    o = ODDS

    def price(side: str, kind: str, bookmaker: str) -> Any:
        return func.max(o.c[side]).filter(o.c.kind == kind, o.c.bookmaker == bookmaker)

    named = select(
        o.c.match_id,
        *(price(side, "pre", MARKET_AVG).label(f"average_pre_{side}") for side in SIDES),
        *(price(side, "close", PINNACLE).label(f"pinnacle_close_{side}") for side in SIDES),
        *(price(side, "close", MARKET_AVG).label(f"average_close_{side}") for side in SIDES),
    ).where(o.c.bookmaker.in_([MARKET_AVG, PINNACLE]))
    average = o.alias("average")
    has_average = (
        select(average.c.match_id)
        .where(average.c.match_id == o.c.match_id, average.c.bookmaker == MARKET_AVG, average.c.kind == "pre")
        .exists()
    )
    books = select(o.c.match_id, *(func.avg(o.c[side]).label(f"books_pre_{side}") for side in SIDES)).where(
        o.c.kind == "pre", o.c.bookmaker.not_in([MARKET_AVG, MARKET_MAX]), ~has_average
    )
    return (
        _scoped(named, filters).group_by(o.c.match_id).subquery("named"),
        _scoped(books, filters).group_by(o.c.match_id).subquery("books"),
    )


def _match_frame_query(filters: list[ColumnElement[bool]]) -> Select[Any]:
    home, away = TEAMS.alias("home"), TEAMS.alias("away")
    named, books = _wide_odds(filters)
    pre = [func.coalesce(named.c[f"average_pre_{s}"], books.c[f"books_pre_{s}"]) for s in SIDES]
    close = [func.coalesce(named.c[f"pinnacle_close_{s}"], named.c[f"average_close_{s}"]) for s in SIDES]
    return (
        select(
            *(MATCHES.c[c] for c in ("match_id", "div", "season", "date", "kickoff_time")),
            home.c.name.label("home_team"),
            away.c.name.label("away_team"),
            *(MATCHES.c[c] for c in ("status", *GOAL_COLUMNS, "ftr", "htr", "referee")),
            *(STATS.c[c] for c in STAT_COLUMNS),
            *(column.label(name) for column, name in zip(pre + close, ODDS_WIDE_COLUMNS, strict=True)),
        )
        .select_from(
            MATCHES.join(home, home.c.id == MATCHES.c.home_team_id)
            .join(away, away.c.id == MATCHES.c.away_team_id)
            .outerjoin(STATS, STATS.c.match_id == MATCHES.c.match_id)
            .outerjoin(named, named.c.match_id == MATCHES.c.match_id)
            .outerjoin(books, books.c.match_id == MATCHES.c.match_id)
        )
        .where(*filters)
    )


def load_match_frame(
    engine: Engine,
    *,
    divisions: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    status: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """The match frame (columns.py): identity, result, statistics and wide odds, sorted by date and match id.

    ``odds_pre_avg_*`` are the market-average pre-match prices, else the mean of the bookmakers' pre-match
    prices; ``odds_close_*`` are Pinnacle's closing prices, else the market-average closing prices.
    """
    stmt = _match_frame_query(_match_filters(divisions, seasons, status))
    frame = _read(engine, stmt, MATCH_FRAME_TYPES)
    # The bookmakers' mean is summed in whatever order the database scans the prices, so its last bit can
    # change between two reads of the same data (seen on PostgreSQL: 8 of 212,619 matches), and with it the
    # hash of every artefact built from the frame. A mean of two-decimal prices over n < 50 books lies at
    # least 1e-13 from a 9-decimal rounding boundary, so rounding to 9 decimals is exact and repeatable.
    frame[list(ODDS_PRE_AVG)] = frame[list(ODDS_PRE_AVG)].round(_MEAN_DECIMALS)
    # Sorted here rather than in SQL: the same (code point) order on every database and collation.
    return frame.sort_values(["date", "match_id"], kind="stable", ignore_index=True)


def load_odds(
    engine: Engine,
    *,
    divisions: Sequence[str] | None = None,
    seasons: Sequence[str] | None = None,
    kinds: Sequence[str] | None = None,
    bookmakers: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every stored price in long form (ODDS_COLUMNS), sorted by match id, bookmaker and kind."""
    stmt = _scoped(select(*(ODDS.c[c] for c in ODDS_COLUMNS)), _match_filters(divisions, seasons, None))
    if kinds is not None:
        stmt = stmt.where(ODDS.c.kind.in_(list(kinds)))
    if bookmakers is not None:
        stmt = stmt.where(ODDS.c.bookmaker.in_(list(bookmakers)))
    keys: list[ColumnElement[Any]] = [ODDS.c.match_id, ODDS.c.bookmaker, ODDS.c.kind]
    if engine.dialect.name == "postgresql":
        keys = [key.collate("C") for key in keys]  # code-point order, as SQLite and pandas sort
    return _read(engine, stmt.order_by(*keys), ODDS_TYPES)


def division_counts(engine: Engine) -> dict[str, int]:
    """How many matches each division has in the database, by division code."""
    stmt = select(MATCHES.c.div, func.count()).group_by(MATCHES.c.div).order_by(MATCHES.c.div)
    with engine.connect() as conn:
        return {str(div): int(n) for div, n in conn.execute(stmt)}


def ingestion_report(engine: Engine) -> pd.DataFrame:
    """The ingestion log, oldest first: one row per attempt with its counts, rejections, status and outcome."""
    with engine.connect() as conn:
        rows = conn.execute(select(LOG).order_by(LOG.c.id)).all()
    frame = pd.DataFrame.from_records(rows, columns=[c.name for c in LOG.columns])
    for column in ("started_at", "finished_at"):
        # SQLite hands back naive datetimes; everything is written in UTC, so say so.
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _read(engine: Engine, stmt: Select[Any], types: Mapping[str, str]) -> pd.DataFrame:
    """Run a query into a frame with the given column types ("text", "date", "int", "float")."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql" and conn.dialect.driver == "psycopg":
            frame = _copy_out(conn, stmt, types)
        else:
            frame = pd.DataFrame.from_records(conn.execute(stmt).all(), columns=list(types))
    for column, kind in types.items():
        frame[column] = _typed(frame[column], kind)
    return frame


def _copy_out(conn: Connection, stmt: Select[Any], types: Mapping[str, str]) -> pd.DataFrame:
    """PostgreSQL: COPY the result out as CSV and parse it in C; building Python rows costs far more."""
    sql = stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    # Enough memory for the per-match aggregates to hash instead of sorting on disk; no JIT on a one-off query.
    conn.execute(text("SET LOCAL work_mem = '128MB'"))
    conn.execute(text("SET LOCAL jit = off"))
    buffer = io.BytesIO()
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    # Only empty fields are missing: a team or referee called "NA" stays a name.
    return pd.read_csv(
        buffer,
        names=list(types),
        header=None,
        dtype={column: CSV_DTYPES[kind] for column, kind in types.items()},
        keep_default_na=False,
        na_values=[""],
    )


def _typed(values: pd.Series, kind: str) -> pd.Series:
    """One dtype per kind whatever the driver returned: datetime64, Int64, float64, or str/None objects."""
    if kind == "date":
        return pd.to_datetime(values, format="ISO8601")
    if kind == "int":
        return values.astype("Int64") if values.dtype.kind in "iuf" else pd.to_numeric(values).astype("Int64")
    if kind == "float":
        return values.astype(float) if values.dtype.kind in "iuf" else pd.to_numeric(values).astype(float)
    objects = values.to_numpy(dtype=object, copy=True)
    objects[values.isna().to_numpy()] = None
    return pd.Series(objects, index=values.index, dtype=object)
