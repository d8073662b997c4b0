"""Reference rows a file refers to: divisions, seasons, teams (created when new) and team aliases."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from sqlalchemy import Connection, Engine, Table, select

from soccerpredict.data.repository.tables import TEAMS
from soccerpredict.data.repository.upsert import _dialect_insert
from soccerpredict.data.schema import DIVISIONS, Division, Season, TeamAlias, season_start_year


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
