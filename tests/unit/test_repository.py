"""Loading parsed files and reading match frames back, on SQLite and on the real PostgreSQL (COPY path).

Every behaviour runs on both databases (``engine``); the PostgreSQL case is marked ``service``. What only one
of them has (COPY and its staging tables, CHECK violations by name, planner statistics, concurrent migrations;
a second SQLite file in the same test) sits at the end under its database's name.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text

from soccerpredict.data import repository
from soccerpredict.data.columns import MATCH_COLUMNS, ODDS_COLUMNS, ODDS_WIDE_COLUMNS, STAT_COLUMNS
from soccerpredict.data.db import create_db_engine, current_revision, head_revision, migrate
from soccerpredict.data.parsed import ParsedFile, Rejection
from soccerpredict.data.repository import ingestion_report, load_match_frame, load_odds, load_parsed_file
from soccerpredict.data.schema import Base, Match
from soccerpredict.errors import DataError

T1 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2024, 1, 2, 12, 0, tzinfo=UTC)


# ---------------------------------------------------------------------------------------- builders


def match(home: str, away: str, day: str = "2023-08-12", *, div: str = "E0", line: int = 2, **values: Any) -> dict:
    """One parsed match row; a finished 2-1 with statistics unless told otherwise."""
    row: dict[str, Any] = dict.fromkeys(MATCH_COLUMNS)
    slug = f"{home}-{away}".lower().replace(" ", "-")
    row |= {
        "match_id": f"{div}-{day.replace('-', '')}-{slug}",
        "div": div,
        "season": "2324",
        "date": pd.Timestamp(day),
        "home_team": home,
        "away_team": away,
        "status": "finished",
        "fthg": 2,
        "ftag": 1,
        "hthg": 1,
        "htag": 0,
        "ftr": "H",
        "htr": "H",
        "kickoff_time": "15:00",
        "referee": "M Oliver",
        "line": line,
    }
    row |= {column: i for i, column in enumerate(STAT_COLUMNS)}
    return row | values


def parsed_file(
    matches: list[dict],
    odds: Sequence[tuple] = (),
    *,
    source: str = "E0/2324.csv",
    checksum: str = "sha-1",
    rejections: list[Rejection] | None = None,
    blank_rows: int = 0,
) -> ParsedFile:
    """A ParsedFile as the football-data parser hands it over (nullable Int64 counts, datetime dates)."""
    frame = pd.DataFrame(matches, columns=[*MATCH_COLUMNS, "line"])
    for column in ("fthg", "ftag", "hthg", "htag", *STAT_COLUMNS):
        frame[column] = frame[column].astype("Int64")
    frame["date"] = pd.to_datetime(frame["date"])
    return ParsedFile(
        source=source,
        checksum=checksum,
        div=str(frame["div"].iloc[0]) if len(frame) else "E0",
        season="2324",
        matches=frame,
        odds=pd.DataFrame(list(odds), columns=list(ODDS_COLUMNS)),
        rejections=rejections or [],
        blank_rows=blank_rows,
    )


ARS_CHE = match("Arsenal", "Chelsea", line=2)
LIV_MCI = match("Liverpool", "Man City", "2023-08-13", line=3, fthg=1, ftag=1, ftr="D", hthg=0, htag=0, htr="D")
FIXTURE = match(
    "Spurs", "Everton", "2024-05-19", line=4, status="scheduled", **dict.fromkeys(("fthg", "ftag", "hthg", "htag"))
) | {"ftr": None, "htr": None, "referee": None, "kickoff_time": None, **dict.fromkeys(STAT_COLUMNS)}
ODDS = [
    (ARS_CHE["match_id"], "B365", "pre", 1.8, 3.6, 4.5),
    (ARS_CHE["match_id"], "market_avg", "pre", 1.85, 3.55, 4.4),
    (ARS_CHE["match_id"], "PS", "close", 1.9, 3.5, 4.3),
    (LIV_MCI["match_id"], "PS", "pre", 2.9, 3.4, 2.5),
]


def e0_file(**kwargs: Any) -> ParsedFile:
    return parsed_file([ARS_CHE, LIV_MCI, FIXTURE], ODDS, **kwargs)


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated database, copied for each test (migrating costs more than the tests themselves)."""
    path = tmp_path_factory.mktemp("migrated") / "soccer.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def sqlite_engine(sqlite_url: str, migrated_file: Path) -> Iterator[Engine]:
    """A migrated SQLite database of its own (a copy of ``migrated_file``)."""
    shutil.copyfile(migrated_file, sqlite_url.removeprefix("sqlite:///"))
    engine = create_db_engine(sqlite_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgresql_engine(pg_url: str) -> Iterator[Engine]:
    """A fresh, migrated database on the real PostgreSQL server (psycopg 3: the COPY paths)."""
    migrate(pg_url)
    engine = create_db_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.service)])
def engine(request: pytest.FixtureRequest) -> Engine:
    """A migrated, empty database, once per database the repository supports."""
    engine: Engine = request.getfixturevalue(f"{request.param}_engine")
    return engine


#: ``engine`` on one database only, for what the other does not have.
ON_SQLITE = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
ON_POSTGRESQL = pytest.mark.parametrize(
    "engine", [pytest.param("postgresql", marks=pytest.mark.service)], indirect=True
)


def count(engine: Engine, sql: str) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


@contextmanager
def local_time_zone(name: str) -> Iterator[None]:
    """The process's local time zone set to ``name`` (TZ and time.tzset) for a while, then put back."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def rows(engine: Engine, sql: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(sql))]


# ------------------------------------------------------------------------------------------- loading


def test_first_load_inserts_matches_statistics_and_odds(engine: Engine) -> None:
    result = load_parsed_file(engine, e0_file(), clock=lambda: T1)

    assert result.status == "loaded"
    assert (result.matches_inserted, result.matches_updated, result.matches_unchanged) == (3, 0, 0)
    assert result.odds_rows == 4
    assert count(engine, "SELECT count(*) FROM matches") == 3
    assert count(engine, "SELECT count(*) FROM match_stats") == 2  # the fixture has no statistics
    assert count(engine, "SELECT count(*) FROM odds") == 4
    assert count(engine, "SELECT count(*) FROM teams") == 6
    assert rows(engine, "SELECT code, name, country FROM divisions") == [("E0", "Premier League", "England")]
    assert rows(engine, "SELECT code, start_year FROM seasons") == [("2324", 2023)]


def test_reloading_an_identical_file_changes_nothing(engine: Engine) -> None:
    load_parsed_file(engine, e0_file(), clock=lambda: T1)
    before = rows(engine, "SELECT * FROM matches ORDER BY match_id")

    again = load_parsed_file(engine, e0_file(), force=True, clock=lambda: T2)

    assert again.status == "loaded"
    assert (again.matches_inserted, again.matches_updated, again.matches_unchanged) == (0, 0, 3)
    assert rows(engine, "SELECT * FROM matches ORDER BY match_id") == before  # updated_at did not move
    assert count(engine, "SELECT count(*) FROM odds") == 4
    assert count(engine, "SELECT count(*) FROM teams") == 6


def test_a_corrected_value_updates_exactly_that_row(engine: Engine) -> None:
    load_parsed_file(engine, e0_file(), clock=lambda: T1)
    corrected = [ARS_CHE, LIV_MCI | {"ftag": 2, "ftr": "A"}, FIXTURE]

    result = load_parsed_file(engine, parsed_file(corrected, ODDS, checksum="sha-2"), clock=lambda: T2)

    assert (result.matches_inserted, result.matches_updated, result.matches_unchanged) == (0, 1, 2)
    with engine.connect() as conn:
        moved = conn.execute(select(Match.match_id).where(Match.updated_at > T1)).scalars().all()
    assert moved == [LIV_MCI["match_id"]]
    assert rows(engine, f"SELECT ftag, ftr FROM matches WHERE match_id = '{LIV_MCI['match_id']}'") == [(2, "A")]


def test_a_corrected_file_that_fills_a_null_updates_the_row(engine: Engine) -> None:
    first_stat = STAT_COLUMNS[0]
    load_parsed_file(engine, parsed_file([ARS_CHE | {first_stat: None}, LIV_MCI, FIXTURE], ODDS), clock=lambda: T1)
    filled = FIXTURE | {"referee": "A Taylor", "kickoff_time": "12:30"}

    result = load_parsed_file(engine, parsed_file([ARS_CHE, LIV_MCI, filled], ODDS, checksum="sha-2"), clock=lambda: T2)

    assert (result.matches_inserted, result.matches_updated, result.matches_unchanged) == (0, 1, 2)
    with engine.connect() as conn:
        moved = conn.execute(select(Match.match_id).where(Match.updated_at > T1)).scalars().all()
    assert moved == [FIXTURE["match_id"]]
    assert rows(engine, f"SELECT referee, kickoff_time FROM matches WHERE match_id = '{FIXTURE['match_id']}'") == [
        ("A Taylor", "12:30")
    ]
    assert rows(engine, f"SELECT {first_stat} FROM match_stats WHERE match_id = '{ARS_CHE['match_id']}'") == [
        (ARS_CHE[first_stat],)
    ]


def test_prices_and_statistics_missing_from_a_corrected_file_are_deleted(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())
    without_stats = ARS_CHE | dict.fromkeys(STAT_COLUMNS)
    changed_price = (ARS_CHE["match_id"], "PS", "close", 1.95, 3.5, 4.1)

    load_parsed_file(engine, parsed_file([without_stats, LIV_MCI, FIXTURE], [ODDS[0], changed_price], checksum="sha-2"))

    assert rows(engine, "SELECT match_id FROM match_stats") == [(LIV_MCI["match_id"],)]
    assert rows(engine, "SELECT bookmaker, kind, home FROM odds ORDER BY bookmaker") == [
        ("B365", "pre", 1.8),
        ("PS", "close", 1.95),
    ]


def test_a_file_with_the_same_checksum_is_skipped(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())

    again = load_parsed_file(engine, e0_file())

    assert (again.status, again.matches_inserted, again.matches_unchanged) == ("unchanged", 0, 3)
    assert count(engine, "SELECT count(*) FROM ingestion_log") == 1


def test_force_reloads_a_file_with_the_same_checksum(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())

    again = load_parsed_file(engine, e0_file(), force=True)

    assert again.status == "loaded"
    assert count(engine, "SELECT count(*) FROM ingestion_log WHERE status = 'ok'") == 2


def test_only_the_latest_load_of_a_source_counts_for_the_skip(engine: Engine) -> None:
    load_parsed_file(engine, e0_file(checksum="old"))
    load_parsed_file(engine, parsed_file([ARS_CHE | {"referee": "A Taylor"}], checksum="new"))

    back = load_parsed_file(engine, e0_file(checksum="old"))  # the old bytes are not what the database holds

    assert back.status == "loaded"
    assert rows(engine, f"SELECT referee FROM matches WHERE match_id = '{ARS_CHE['match_id']}'") == [("M Oliver",)]


def test_a_failure_half_way_leaves_nothing_of_the_file(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    load_parsed_file(engine, e0_file(), clock=lambda: T1)
    before = rows(engine, "SELECT * FROM matches ORDER BY match_id")
    other = parsed_file([match("Celtic", "Rangers", div="SC0")], source="SC0/2324.csv")
    corrected = parsed_file([ARS_CHE | {"fthg": 3}, LIV_MCI, FIXTURE], checksum="sha-2")

    def broken(*args: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(repository.write, "_write_odds", broken)
    for parsed in (other, corrected):
        with pytest.raises(DataError, match=r"could not load .*2324\.csv: RuntimeError: disk full"):
            load_parsed_file(engine, parsed, clock=lambda: T2)

    assert rows(engine, "SELECT * FROM matches ORDER BY match_id") == before
    assert count(engine, "SELECT count(*) FROM teams WHERE name = 'Celtic'") == 0
    assert count(engine, "SELECT count(*) FROM divisions WHERE code = 'SC0'") == 0
    log = ingestion_report(engine)
    assert log["status"].tolist() == ["ok", "failed", "failed"]
    assert log["error"].iloc[-1] == "RuntimeError: disk full"
    assert log["rows_loaded"].iloc[-1] == 0


def test_a_failed_file_is_not_skipped_next_time(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(repository.write, "_write_odds", lambda *args: 1 / 0)
        with pytest.raises(DataError):
            load_parsed_file(engine, e0_file())

    assert load_parsed_file(engine, e0_file()).status == "loaded"


def test_the_ingestion_log_keeps_counts_and_every_rejection(engine: Engine) -> None:
    rejections = [
        Rejection("E0/2324.csv", 7, "unparseable date '31/02/24'"),
        Rejection("E0/2324.csv", 9, "BW prices incomplete", scope="odds"),
    ]

    result = load_parsed_file(engine, e0_file(rejections=rejections, blank_rows=5), clock=lambda: T1)

    assert (result.rows_rejected, result.odds_rejected, result.blank_rows) == (1, 1, 5)
    entry = ingestion_report(engine).iloc[0]
    assert entry[["source", "checksum", "div", "season", "status"]].tolist() == [
        "E0/2324.csv",
        "sha-1",
        "E0",
        "2324",
        "ok",
    ]
    assert entry[["rows_loaded", "rows_rejected", "odds_rejected", "blank_rows"]].tolist() == [3, 1, 1, 5]
    assert entry["rejections"] == [
        {"line": 7, "reason": "unparseable date '31/02/24'", "scope": "row"},
        {"line": 9, "reason": "BW prices incomplete", "scope": "odds"},
    ]
    assert entry["started_at"] == pd.Timestamp(T1)
    assert entry["finished_at"] >= entry["started_at"]
    assert pd.isna(entry["error"])


def test_a_duplicate_match_id_keeps_the_first_row_and_reports_the_other(engine: Engine) -> None:
    result = load_parsed_file(engine, parsed_file([ARS_CHE, ARS_CHE | {"line": 8, "fthg": 5}]))

    assert (result.matches_inserted, result.rows_rejected) == (1, 1)
    assert rows(engine, "SELECT fthg FROM matches") == [(2,)]
    assert "duplicate match_id" in ingestion_report(engine)["rejections"].iloc[0][0]["reason"]


def test_teams_are_shared_across_files_and_aliases_are_saved(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())
    cup = parsed_file([match("Chelsea", "Arsenal", "2024-02-01")], source="E0/extra.csv")

    load_parsed_file(engine, cup, aliases={"Man Utd": "Man United", "Arsenal FC": "Arsenal"})

    assert count(engine, "SELECT count(*) FROM teams") == 7
    assert rows(engine, "SELECT a.alias, t.name FROM team_aliases a JOIN teams t ON t.id = a.team_id ORDER BY 1") == [
        ("Arsenal FC", "Arsenal"),
        ("Man Utd", "Man United"),
    ]
    assert repository.save_team_aliases(engine, {"Man Utd": "Man United"}, source="whoscored") == 0


def test_a_division_outside_the_known_22_is_created_under_its_code(engine: Engine) -> None:
    load_parsed_file(engine, parsed_file([match("Boca", "River", div="ARG")], source="ARG/2324.csv"))

    assert rows(engine, "SELECT code, name, country FROM divisions") == [("ARG", "ARG", None)]


def test_a_source_that_never_reached_loading_is_logged_with_what_is_known_of_it(engine: Engine) -> None:
    started = T1.astimezone(timezone(timedelta(hours=2)))  # any offset in, UTC in the log
    with local_time_zone("Asia/Tokyo"):  # not the machine's zone either
        repository.log_failed_source(
            engine,
            source="SP1/2324.csv",
            outcome="failed to parse",
            error="x" * 2500,
            checksum="sha-9",
            div="SP1",
            season="2324",
            started_at=started,
            clock=lambda: T2.astimezone(timezone(timedelta(hours=-5))),
        )
        repository.log_failed_source(
            engine, source="SP2/2324.csv", outcome="failed to read", error="gone", clock=lambda: T2
        )

    given, bare = (entry for _, entry in ingestion_report(engine).iterrows())
    assert given[["source", "checksum", "div", "season", "status", "outcome"]].tolist() == [
        "SP1/2324.csv",
        "sha-9",
        "SP1",
        "2324",
        "failed",
        "failed to parse",
    ]
    assert given[["rows_loaded", "rows_rejected", "odds_rejected", "blank_rows"]].tolist() == [0, 0, 0, 0]
    assert given["rejections"] == []
    assert (given["started_at"], given["finished_at"]) == (pd.Timestamp(T1), pd.Timestamp(T2))
    assert given["error"] == "x" * repository.log.MAX_ERROR_CHARS
    assert (bare["source"], bare["outcome"], bare["error"]) == ("SP2/2324.csv", "failed to read", "gone")
    assert [bare["checksum"], bare["div"], bare["season"]] == [None, None, None]
    assert bare["started_at"] == bare["finished_at"] == pd.Timestamp(T2)  # no start given: it started when it failed


def test_a_database_that_cannot_log_a_failed_source_is_a_warning_naming_it(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_db_engine(sqlite_url)  # not migrated: no ingestion_log table
    with caplog.at_level("WARNING", logger=repository.log.__name__):
        repository.log_failed_source(engine, source="SP1/2324.csv", outcome="failed to read", error="gone")
    engine.dispose()

    assert caplog.messages == [
        "could not log the failed source SP1/2324.csv: OperationalError: no such table: ingestion_log"
    ]


# ------------------------------------------------------------------------------------------- reading


def test_the_match_frame_round_trips_values_and_dtypes(engine: Engine) -> None:
    parsed = e0_file()
    load_parsed_file(engine, parsed)

    frame = load_match_frame(engine)

    assert list(frame.columns) == [*MATCH_COLUMNS, *ODDS_WIDE_COLUMNS]
    expected = parsed.matches[list(MATCH_COLUMNS)].sort_values(["date", "match_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(frame[list(MATCH_COLUMNS)], expected)
    assert frame["date"].dtype == "datetime64[ns]"
    assert all(frame[c].dtype == "Int64" for c in ("fthg", "ftag", "hthg", "htag", *STAT_COLUMNS))
    assert all(frame[c].dtype == "float64" for c in ODDS_WIDE_COLUMNS)


def test_a_team_or_referee_called_na_stays_a_name(engine: Engine) -> None:
    """Only empty fields are missing when the frame is read back ("NA", "N/A" and "null" are names)."""
    load_parsed_file(engine, parsed_file([match("NA", "null", referee="N/A")]))

    frame = load_match_frame(engine)

    assert frame[["home_team", "away_team", "referee"]].values.tolist() == [["NA", "null", "N/A"]]


def test_division_counts_count_each_division_s_matches_by_code_in_order(engine: Engine) -> None:
    assert repository.division_counts(engine) == {}
    load_parsed_file(engine, parsed_file([match("Celtic", "Rangers", div="SC0")], source="SC0/2324.csv"))
    load_parsed_file(engine, e0_file())

    counts = repository.division_counts(engine)

    assert list(counts.items()) == [("E0", 3), ("SC0", 1)]


def test_wide_odds_prefer_the_market_average_before_and_pinnacle_at_the_close(engine: Engine) -> None:
    ids = [m["match_id"] for m in (ARS_CHE, LIV_MCI, FIXTURE)]
    odds = [
        # 1: market average pre and Pinnacle close win over the rest (Pinnacle's own pre price included)
        (ids[0], "B365", "pre", 1.5, 3.0, 5.0),
        (ids[0], "market_avg", "pre", 1.6, 3.1, 4.9),
        (ids[0], "market_avg", "close", 1.65, 3.2, 4.6),
        (ids[0], "PS", "pre", 1.75, 3.4, 5.5),
        (ids[0], "PS", "close", 1.7, 3.3, 4.7),
        # 2: no market average: the mean of the bookmakers' pre prices (never the market maximum, never a
        # closing price); average close
        (ids[1], "B365", "pre", 2.0, 3.0, 4.0),
        (ids[1], "WH", "pre", 3.0, 4.0, 5.0),
        (ids[1], "B365", "close", 8.0, 8.0, 8.0),
        (ids[1], "market_max", "pre", 9.0, 9.0, 9.0),
        (ids[1], "market_avg", "close", 2.2, 3.3, 3.4),
        # 3: no prices at all
    ]
    load_parsed_file(engine, parsed_file([ARS_CHE, LIV_MCI, FIXTURE], odds))

    wide = load_match_frame(engine).set_index("match_id")[list(ODDS_WIDE_COLUMNS)]

    assert wide.loc[ids[0]].tolist() == [1.6, 3.1, 4.9, 1.7, 3.3, 4.7]
    assert wide.loc[ids[1]].tolist() == pytest.approx([2.5, 3.5, 4.5, 2.2, 3.3, 3.4])
    assert wide.loc[ids[2]].isna().all()


def test_the_match_frame_filters_by_division_season_and_status(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())
    load_parsed_file(engine, parsed_file([match("Celtic", "Rangers", div="SC0")], source="SC0/2324.csv"))

    assert len(load_match_frame(engine)) == 4
    assert load_match_frame(engine, divisions=["SC0"])["home_team"].tolist() == ["Celtic"]
    assert load_match_frame(engine, seasons=["2223"]).empty
    assert load_match_frame(engine, divisions=["E0"], status="scheduled")["match_id"].tolist() == [FIXTURE["match_id"]]
    assert len(load_match_frame(engine, status=["finished", "scheduled"])) == 4


def test_an_empty_database_gives_an_empty_frame_with_every_column(engine: Engine) -> None:
    frame = load_match_frame(engine)

    assert frame.empty
    assert list(frame.columns) == [*MATCH_COLUMNS, *ODDS_WIDE_COLUMNS]
    assert list(load_odds(engine).columns) == list(ODDS_COLUMNS)


def test_odds_come_back_in_long_form(engine: Engine) -> None:
    load_parsed_file(engine, e0_file())

    odds = load_odds(engine)

    expected = pd.DataFrame(ODDS, columns=list(ODDS_COLUMNS)).sort_values(["match_id", "bookmaker", "kind"])
    pd.testing.assert_frame_equal(odds, expected.reset_index(drop=True))
    assert load_odds(engine, kinds=["close"])["bookmaker"].tolist() == ["PS"]
    assert load_odds(engine, bookmakers=["B365"], divisions=["E0"], seasons=["2324"])["home"].tolist() == [1.8]


# ------------------------------------------------------------------------------------------ real data


@pytest.fixture
def real_file(sample_dir: Path, request: pytest.FixtureRequest) -> Path:
    """A real football-data.co.uk file: from the shipped sample, else the full data set beside the checkout."""
    shipped = sorted(sample_dir.rglob("*.csv"))
    if shipped:
        return shipped[-1]
    return request.getfixturevalue("shared_data") / "football-data" / "E0" / "2324.csv"


def test_a_real_file_loads_through_the_parser_and_round_trips(engine: Engine, real_file: Path) -> None:
    from soccerpredict.data.sources.football_data import parse_football_data

    parsed = parse_football_data(real_file.read_bytes(), source=str(real_file))
    first = load_parsed_file(engine, parsed)
    again = load_parsed_file(engine, parsed, force=True)

    assert first.matches_inserted == len(parsed.matches) > 100
    assert (again.matches_inserted, again.matches_updated, again.matches_unchanged) == (0, 0, len(parsed.matches))
    frame = load_match_frame(engine)
    expected = parsed.matches[list(MATCH_COLUMNS)].sort_values(["date", "match_id"], ignore_index=True)
    pd.testing.assert_frame_equal(frame[list(MATCH_COLUMNS)], expected)
    odds = parsed.odds[list(ODDS_COLUMNS)].sort_values(["match_id", "bookmaker", "kind"], ignore_index=True)
    pd.testing.assert_frame_equal(load_odds(engine), odds)
    if len(odds):
        assert frame["odds_pre_avg_home"].notna().any()


# ---------------------------------------------------------------------------------------- SQLite only


@ON_SQLITE
def test_the_bookmakers_mean_does_not_depend_on_the_order_prices_were_stored(
    engine: Engine, migrated_file: Path, tmp_path: Path
) -> None:
    # Summed in storage order, 1.1 + 2.2 + 3.3 and 3.3 + 2.2 + 1.1 differ in the last bit: the mean must not.
    books = [("B365", 1.1, 3.3, 2.2), ("WH", 2.2, 2.2, 3.3), ("IW", 3.3, 1.1, 1.1)]
    frames = []
    for target, order in ((engine, books), (None, books[::-1])):
        if target is None:
            copy = tmp_path / "reversed.db"
            shutil.copyfile(migrated_file, copy)
            target = create_db_engine(f"sqlite:///{copy}")
        odds = [(ARS_CHE["match_id"], book, "pre", h, d, a) for book, h, d, a in order]
        load_parsed_file(target, parsed_file([ARS_CHE], odds))
        frames.append(load_match_frame(target)[list(ODDS_WIDE_COLUMNS[:3])])
        target.dispose()
    pd.testing.assert_frame_equal(frames[0], frames[1], check_exact=True)
    assert frames[0].iloc[0].tolist() == [2.2, 2.2, 2.2]


# ------------------------------------------------------------------------------------ PostgreSQL only


@pytest.mark.service
def test_the_migrated_postgres_database_agrees_with_the_models(pg_url: str) -> None:
    migrate(pg_url)
    migrate(pg_url)  # idempotent

    engine = create_db_engine(pg_url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diffs == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


@ON_POSTGRESQL
def test_loads_go_through_copy_and_leave_no_staging_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        assert isinstance(repository.upsert._writer(conn), repository.upsert._CopyWriter)

    load_parsed_file(engine, e0_file())

    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE '\\_load\\_%'")).scalar_one() == 0


@ON_POSTGRESQL
def test_database_check_constraints_reject_a_bad_row_and_name_the_file(engine: Engine) -> None:
    bad = parsed_file([ARS_CHE | {"ftr": "X"}], source="E0/bad.csv")

    with pytest.raises(DataError, match=r"could not load E0/bad\.csv: CheckViolation"):
        load_parsed_file(engine, bad)

    assert count(engine, "SELECT count(*) FROM matches") == 0
    assert rows(engine, "SELECT source, status FROM ingestion_log") == [("E0/bad.csv", "failed")]


@ON_POSTGRESQL
def test_a_large_load_leaves_planner_statistics_behind(engine: Engine) -> None:
    matches = [match(f"Home {i}", f"Away {i}", line=i + 2) for i in range(400)]
    odds = [(m["match_id"], book, "pre", 2.0, 3.0, 4.0) for m in matches for book in ("B365", "BW", "IW", "WH", "VC")]

    load_parsed_file(engine, parsed_file(matches, odds))

    # whether or not autovacuum runs (it is off here), the load analyzed the table that grew past 16 pages
    assert rows(engine, "SELECT reltuples FROM pg_class WHERE relname = 'odds'") == [(2000.0,)]


@pytest.mark.service
def test_concurrent_migrations_of_a_fresh_database_do_not_collide(pg_url: str) -> None:
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(migrate, [pg_url] * 3))

    assert current_revision(pg_url) == head_revision()
