"""Read the match frame and the long odds back, typed the same on every database; counts per division."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select, text

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
from soccerpredict.data.repository.tables import GOAL_COLUMNS, INT_COLUMNS, MATCHES, ODDS, SIDES, STATS, TEAMS

#: Decimals the bookmakers' mean pre-match price is rounded to (load_match_frame says why).
_MEAN_DECIMALS = 9
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
