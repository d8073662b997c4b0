"""The upsert of one table: a row is only rewritten when a compared value changed (NULL-safe), and the rows of
the file's matches that the file no longer has are deleted.

PostgreSQL (psycopg 3) COPYs the rows into a temporary table and merges them with one
``INSERT … SELECT … ON CONFLICT DO UPDATE … WHERE (…) IS DISTINCT FROM (…)``; elsewhere (SQLite) one
``executemany`` of ``INSERT … ON CONFLICT DO UPDATE``.
"""

from __future__ import annotations

from typing import Any, Protocol

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Select, Table, and_, bindparam, or_, select, text, tuple_
from sqlalchemy import column as sql_column
from sqlalchemy import table as sql_table
from sqlalchemy.dialects import postgresql, sqlite

from soccerpredict.data.repository.rows import _records
from soccerpredict.data.repository.tables import _Spec
from soccerpredict.errors import DataError


def _dialect_insert(conn: Connection, table: Table) -> Any:
    """The dialect's INSERT construct, which has ON CONFLICT."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise DataError(f"database {conn.dialect.name!r} is not supported: use PostgreSQL or SQLite")


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
