"""Odds sources: football-data's multi-division fixtures file split by division and loaded as scheduled matches."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine

from soccerpredict.data.columns import FINISHED, SCHEDULED
from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, ingest_odds, plan_football_data
from soccerpredict.data.repository import ingestion_report, load_match_frame, load_odds
from soccerpredict.data.sources.odds import FootballDataFixtures, odds_source, split_by_division
from soccerpredict.errors import SourceError, SourceParseError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from odds_fixtures import fixtures_csv

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data"
RESULTS = [SAMPLE / "E0" / "2324.csv", SAMPLE / "SP1" / "2324.csv"]


@pytest.fixture
def fixtures_file(tmp_path: Path) -> Path:
    content, _ = fixtures_csv(RESULTS, last=4)
    path = tmp_path / "fixtures.csv"
    path.write_bytes(content)
    return path


@pytest.fixture
def engine(sqlite_url: str) -> Engine:
    migrate(sqlite_url)
    return create_db_engine(sqlite_url)


def test_split_by_division_gives_one_part_per_division_with_every_row_once(fixtures_file: Path) -> None:
    parts = split_by_division(fixtures_file.read_bytes(), source=str(fixtures_file))

    assert [p.div for p in parts] == ["E0", "SP1"]
    assert [p.source for p in parts] == [f"{fixtures_file}#E0", f"{fixtures_file}#SP1"]
    assert [len(p.matches) for p in parts] == [4, 4]
    assert all((p.matches["status"] == SCHEDULED).all() for p in parts)
    # Each row is reported by its own division's part only: no "Div differs" rejections leak through.
    assert all(not p.rejections for p in parts)
    # The original file's line numbers: E0's rows are lines 2-5, SP1's 6-9.
    assert sorted(parts[1].matches["line"]) == [6, 7, 8, 9]


def test_a_short_row_and_a_cut_last_row_of_a_fixtures_file_are_reported_once(fixtures_file: Path) -> None:
    lines = fixtures_file.read_bytes().split(b"\r\n")
    lines[3] = b",".join(lines[3].split(b",")[:5])  # an E0 fixture with nothing after its teams
    content = b"\r\n".join(lines[:-1])[:-30]  # the download stopped inside SP1's last row

    parts = split_by_division(content, source="fixtures.csv")

    reported = [(r.line, r.reason.split(":")[0]) for p in parts for r in p.rejections]
    assert reported == [(4, "short row"), (9, "truncated row")]
    assert [len(p.matches) for p in parts] == [3, 3]


def test_fixtures_keep_their_real_pre_match_prices(fixtures_file: Path) -> None:
    _, originals = fixtures_csv(RESULTS, last=4)
    parts = split_by_division(fixtures_file.read_bytes(), source="fixtures.csv")
    odds = pd.concat([p.odds for p in parts])

    assert set(odds["kind"]) == {"pre"}  # closing prices are not known before kick-off
    b365 = odds[(odds["bookmaker"] == "B365")].sort_values("match_id")
    assert len(b365) == 8
    assert sorted(b365["home"].round(2)) == sorted(float(r["B365H"]) for r in originals)


def test_fixtures_load_as_scheduled_then_results_finish_them(engine: Engine, fixtures_file: Path) -> None:
    summary = ingest_odds(FootballDataFixtures(str(fixtures_file)), engine)
    assert not summary.failed
    frame = load_match_frame(engine)
    assert len(frame) == 8
    assert set(frame["status"]) == {SCHEDULED}
    assert frame["fthg"].isna().all()
    assert len(load_odds(engine)) > 0

    again = ingest_odds(FootballDataFixtures(str(fixtures_file)), engine)
    assert again.statuses()["unchanged"] == 2  # same bytes: nothing re-parsed or written

    ingest_football_data(plan_football_data([str(p) for p in RESULTS]), engine)
    after = load_match_frame(engine).set_index("match_id")
    assert (after.loc[frame["match_id"], "status"] == FINISHED).all()


def test_a_fixtures_feed_never_overwrites_a_result(engine: Engine, fixtures_file: Path) -> None:
    ingest_football_data(plan_football_data([str(p) for p in RESULTS]), engine)
    before = load_match_frame(engine).set_index("match_id")

    summary = ingest_odds(FootballDataFixtures(str(fixtures_file)), engine)

    assert not summary.failed
    kept = summary.rejections()
    assert len(kept) == 8
    assert all("already finished in the database" in r.reason for r in kept)
    after = load_match_frame(engine).set_index("match_id")
    pd.testing.assert_series_equal(after["fthg"], before["fthg"])
    assert (after["status"] == FINISHED).all()


def test_unknown_odds_source_names_the_known_ones() -> None:
    with pytest.raises(SourceError, match=r"unknown odds source 'betfair'.*football-data-fixtures"):
        odds_source("betfair")


def test_missing_fixtures_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="source not found"):
        FootballDataFixtures(str(tmp_path / "nope.csv")).fetch(timeout=1)


def test_a_fixtures_file_that_fails_to_parse_is_in_the_ingestion_log(engine: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "fixtures.csv"
    broken.write_bytes(b"Div,Date,Home,Away\nE0,16/08/2024,Man United,Fulham\n")

    with pytest.raises(SourceParseError, match="no HomeTeam, AwayTeam column"):
        ingest_odds(FootballDataFixtures(str(broken)), engine)

    log = ingestion_report(engine)
    assert log[["source", "status", "outcome"]].values.tolist() == [[str(broken), "failed", "failed to parse"]]
    assert "no HomeTeam, AwayTeam column" in log["error"].iloc[0]
