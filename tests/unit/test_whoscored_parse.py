"""WhoScored parsing on real saved pages (tests/fixtures/whoscored): no browser, no network.

The match is Burnley 0-1 Man Utd, 12 Jan 2021 (E0 2020/21); football-data's row for it is in the repo's
sample (data/sample/football-data/E0/2021.csv), so every number WhoScored gives is checked against it.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from selenium.common.exceptions import TimeoutException, WebDriverException
from typer.testing import CliRunner

from soccerpredict.cli import app
from soccerpredict.data.columns import MATCH_COLUMNS, STAT_COLUMNS
from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data
from soccerpredict.data.repository import load_match_frame
from soccerpredict.data.sources import whoscored as ws
from soccerpredict.data.sources.browser import PageFetcher, Politeness, start_browser
from soccerpredict.data.sources.football_data import parse_football_data
from soccerpredict.data.whoscored_ingest import ingest_whoscored
from soccerpredict.errors import ConfigError, PageLayoutError, SourceError, SourceParseError
from soccerpredict.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "whoscored"
SAMPLE_E0_2021 = Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data" / "E0" / "2021.csv"
MATCH_URL = "https://www.whoscored.com/Matches/1485184/Live/England-Premier-League-2020-2021-Burnley-Manchester-United"
MATCH_ID = "E0-20210112-burnley-man-united"


def read_fixture(name: str) -> str:
    return gzip.decompress((FIXTURES / name).read_bytes()).decode("utf-8")


def match_centre_json() -> str:
    return read_fixture("matchcentre_1485184.json.gz")


def live_page(data: str | None = None) -> str:
    """The real matchCentreData embedded the way a match-centre page does (tests/fixtures/whoscored/README.md)."""
    return (FIXTURES / "live_page.html").read_text().replace("{{MATCH_CENTRE_DATA}}", data or match_centre_json())


def feed() -> dict[str, Any]:
    return json.loads(read_fixture("fixtures_ENG-Premier-League_2020-21_stage18685_page0.json.gz"))


@pytest.fixture(scope="module")
def football_data() -> pd.DataFrame:
    """football-data's E0 2020/21 match rows, by match id."""
    parsed = parse_football_data(SAMPLE_E0_2021.read_bytes(), source=str(SAMPLE_E0_2021))
    return parsed.matches.set_index("match_id")


@pytest.fixture(scope="module")
def page() -> ws.ParsedPage:
    return ws.parse_page(live_page(), source=MATCH_URL)


# -------------------------------------------------------------------------------------- match centre


def test_match_centre_teams_score_and_team_statistics(page: ws.ParsedPage) -> None:
    centre = page.centre
    assert centre is not None
    home, away = centre.home, centre.away
    assert (home.name, away.name) == ("Burnley", "Man Utd")
    assert (home.goals, away.goals, home.half_time_goals, away.half_time_goals) == (0, 1, 0, 0)
    assert (home.shots, away.shots) == (11, 13)
    assert (home.shots_on_target, away.shots_on_target) == (0, 7)  # Burnley's page has no shotsOnTarget at all
    assert (home.shots_off_target, home.shots_blocked, away.shots_off_target, away.shots_blocked) == (6, 5, 2, 4)
    assert home.shots == home.shots_on_target + home.shots_off_target + home.shots_blocked
    assert (home.possession, away.possession) == (37.3, 62.7)
    assert (home.passes, away.passes, home.passes_accurate, away.passes_accurate) == (334, 566, 220, 475)
    assert (home.corners, away.corners, home.fouls, away.fouls) == (3, 4, 15, 13)
    assert (home.yellow, away.yellow, home.red, away.red) == (1, 2, 0, 0)
    assert centre.kickoff == pd.Timestamp("2021-01-12 20:15").to_pydatetime()
    assert (centre.status, centre.referee, centre.venue) == ("finished", "K Friend", "Turf Moor")


def test_match_centre_events(page: ws.ParsedPage) -> None:
    assert page.centre is not None
    events = page.centre.events
    assert len(events) == 1551
    goals = [e for e in events if e.type == "Goal"]
    assert [(g.side, g.minute, g.player) for g in goals] == [("away", 70, "Paul Pogba")]
    cards = [(e.side, e.minute, e.player, e.card) for e in events if e.type == "Card"]
    assert cards == [
        ("away", 31, "Luke Shaw", "Yellow"),
        ("away", 47, "Bruno Fernandes", "Yellow"),
        ("home", 61, "Ashley Westwood", "Yellow"),
    ]


def test_match_centre_row_is_football_data_row(page: ws.ParsedPage, football_data: pd.DataFrame) -> None:
    """Same match id (teams aliased, same date), and every result and statistic column agrees for this match."""
    [parsed] = page.files
    assert (parsed.div, parsed.season, parsed.rejections) == ("E0", "2021", [])
    row = parsed.matches.set_index("match_id").loc[MATCH_ID]
    expected = football_data.loc[MATCH_ID]
    for column in [c for c in MATCH_COLUMNS if c != "match_id"]:
        assert row[column] == expected[column], column
    # Spelled out: WhoScored's shots, shots on target, fouls, corners and cards equal HS/AS, HST/AST, HF/AF,
    # HC/AC, HY/AY, HR/AR of football-data for this match.
    assert [int(row[c]) for c in STAT_COLUMNS] == [11, 13, 0, 7, 15, 13, 3, 4, 1, 2, 0, 0]


def test_bare_match_centre_json_needs_the_division_but_not_the_season() -> None:
    with pytest.raises(SourceParseError, match=r"cannot tell the competition of saved\.json.*--div"):
        ws.parse_page(match_centre_json(), source="saved.json")
    parsed = ws.parse_page(match_centre_json(), source="saved.json", div="E0")
    assert parsed.files[0].season == "2021"  # from the kick-off date: seasons start on 1 July
    assert parsed.files[0].matches["match_id"].tolist() == [MATCH_ID]


# --------------------------------------------------------------------------------------- team names


def test_whoscored_names_map_to_canonical_names(page: ws.ParsedPage) -> None:
    names = ws.whoscored_team_names()
    assert names.canonical("Man Utd") == "Man United"
    assert names.canonical("Manchester United") == "Man United"
    assert names.canonical("West Bromwich Albion") == "West Brom"
    assert names.canonical("Burnley") == "Burnley"  # the same on both sites
    assert names.canonical("Middlesboro") == "Middlesbrough"  # the shipped map is kept
    assert page.aliases == {"Man Utd": "Man United"}
    assert page.files[0].matches[["home_team", "away_team"]].values.tolist() == [["Burnley", "Man United"]]


def test_every_whoscored_name_in_the_feed_is_a_football_data_name(football_data: pd.DataFrame) -> None:
    names = ws.whoscored_team_names()
    raw = {m[f"{side}TeamName"] for m in feed()["tournaments"][0]["matches"] for side in ("home", "away")}
    stored = set(football_data["home_team"])
    assert {names.canonical(name) for name in raw} <= stored
    assert len(raw) == 20


# ------------------------------------------------------------------------------------ layout changes


def test_page_without_match_centre_data_raises_layout_error() -> None:
    """The real preview page of the same match has no matchCentreData."""
    with pytest.raises(PageLayoutError) as caught:
        ws.parse_page(read_fixture("preview_1485184.html.gz"), source=MATCH_URL)
    message = str(caught.value)
    assert f"no matchCentreData in {MATCH_URL}" in message
    assert "expected a script containing 'matchCentreData" in message


def test_match_centre_without_an_expected_key_names_it() -> None:
    data = json.loads(match_centre_json())
    del data["away"]["name"]
    with pytest.raises(PageLayoutError, match=r"has no 'away\.name'"):
        ws.parse_page(live_page(json.dumps(data)), source=MATCH_URL)


def test_truncated_or_null_match_centre_data() -> None:
    with pytest.raises(PageLayoutError, match=r"matchCentreData in u is not a JSON object"):
        ws.extract_match_centre('<script>x = {matchCentreData: {"home": [1, </script>', url="u")
    with pytest.raises(SourceParseError, match="is null: WhoScored has no match centre") as caught:
        ws.extract_match_centre("<script>x = {matchId: 1, matchCentreData: null};</script>", url="u")
    assert not isinstance(caught.value, PageLayoutError)


def test_values_of_an_unexpected_type_are_a_layout_error() -> None:
    data = json.loads(match_centre_json())
    data["home"]["stats"]["shotsTotal"] = "eleven"
    with pytest.raises(PageLayoutError, match=f"{MATCH_URL} has an unexpected shape"):
        ws.parse_page(live_page(json.dumps(data)), source=MATCH_URL)


def test_match_centre_in_play_is_rejected_not_loaded() -> None:
    data = json.loads(match_centre_json())
    data |= {"statusCode": 3, "elapsed": "HT"}
    [parsed] = ws.parse_page(live_page(json.dumps(data)), source=MATCH_URL).files
    assert parsed.matches.empty
    assert [r.reason for r in parsed.rejections] == [
        "Burnley v Man Utd on 2021-01-12: status 3 ('HT') is neither finished (6) nor scheduled (1)"
    ]


# ------------------------------------------------------------------------------------ tournaments


def test_tournament_table_reads_whoscored_names() -> None:
    assert ws.division_of("England-Premier-League", where="x") == "E0"
    assert ws.division_of("England - Premier League", where="x") == "E0"
    assert ws.division_of("germany 2. bundesliga", where="x") == "D2"


def test_unknown_tournament_in_url_says_which_and_what_is_known() -> None:
    url = "https://www.whoscored.com/Matches/1/Live/Spain-Segunda-Division-2020-2021-Almeria-Malaga"
    with pytest.raises(SourceParseError) as caught:
        ws.parse_page(live_page(), source=url)
    message = str(caught.value)
    assert f"unknown WhoScored tournament 'Spain-Segunda-Division' in {url}" in message
    assert "England-Premier-League (E0)" in message
    assert "--div" in message
    parsed = ws.parse_page(live_page(), source=url, div="E0")  # an explicit division wins
    assert parsed.files[0].season == "2021"


def test_unknown_tournament_in_feed() -> None:
    data = feed()
    data["tournaments"][0]["tournamentName"] = "Premier League 2"
    with pytest.raises(SourceParseError, match="unknown WhoScored tournament 'England-Premier-League-2' in feed"):
        ws.parse_page(json.dumps(data), source="feed")


# --------------------------------------------------------------------------------------- fixtures feed


def test_feed_results_map_onto_football_data(football_data: pd.DataFrame) -> None:
    [parsed] = ws.parse_page(json.dumps(feed()), source="feed").files
    assert (parsed.div, parsed.season, len(parsed.matches), parsed.rejections) == ("E0", "2021", 50, [])
    joined = parsed.matches.set_index("match_id").join(football_data, rsuffix="_fd", how="left")
    assert joined["date_fd"].notna().all(), "every WhoScored match is a football-data match id"
    for column in ("fthg", "ftag", "ftr", "kickoff_time", "home_red", "away_red"):
        assert (joined[column] == joined[f"{column}_fd"]).all(), column
    # The feed's yellow cards differ from football-data's in 2 of the 50 matches (one more card each time);
    # loading over a football-data row keeps football-data's count and reports the difference.
    yellow = [("home_yellow", "E0-20210102-tottenham-leeds", 3, 2)]
    yellow += [("away_yellow", "E0-20210112-sheffield-united-newcastle", 4, 3)]
    differs = [
        (column, match_id, joined.loc[match_id, column], joined.loc[match_id, f"{column}_fd"])
        for column in ("home_yellow", "away_yellow")
        for match_id in joined.index[joined[column] != joined[f"{column}_fd"]]
    ]
    assert differs == yellow
    assert joined[["hthg", "home_shots", "referee"]].isna().all().all()  # not in the feed


def test_feed_fixture_without_a_score_is_scheduled_and_other_states_are_rejected() -> None:
    data = feed()
    matches = data["tournaments"][0]["matches"]
    # As the feed shows a match before kick-off, and a postponed one.
    matches[0] |= {"status": 1, "homeScore": None, "awayScore": None, "elapsed": "vs"}
    matches[1] |= {"status": 7, "homeScore": None, "awayScore": None, "elapsed": "Post"}
    [parsed] = ws.parse_page(json.dumps(data), source="feed").files
    first = parsed.matches.iloc[0]
    assert (first["match_id"], first["status"], first["kickoff_time"]) == (
        "E0-20210101-everton-west-ham",
        "scheduled",
        "17:30",
    )
    assert first[["fthg", "ftag", "ftr", "home_yellow"]].isna().all()
    assert [(r.line, r.reason) for r in parsed.rejections] == [
        (
            2,
            "Manchester United v Aston Villa on 2021-01-01: status 7 ('Post') "
            "is neither finished (6) nor scheduled (1)",
        )
    ]


def test_feed_kickoff_is_uk_time() -> None:
    data = feed()
    match = data["tournaments"][0]["matches"][0]
    match |= {"startTime": "2021-05-01T20:00:00", "startTimeUtc": "2021-05-01T19:00:00Z"}  # BST
    [parsed] = ws.parse_page(json.dumps(data), source="feed").files
    assert parsed.matches.iloc[0]["kickoff_time"] == "20:00"


def test_feed_shown_by_chromium_is_read() -> None:
    """Chromium shows a JSON response as text inside <pre>, HTML-escaped."""
    text = json.dumps(feed()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    shown = f'<html><head></head><body><pre>{text}</pre><div class="json-formatter-container"></div></body></html>'
    assert ws.parse_page(shown, source="feed").kind == "fixtures"


# ------------------------------------------------------------------------------- merging with the db


def stored_row(**values: Any) -> dict[str, Any]:
    parsed = ws.parse_page(live_page(), source=MATCH_URL).files[0]
    return parsed.matches.iloc[0].to_dict() | values


def test_merge_keeps_a_finished_stored_match_and_reports_disagreements() -> None:
    parsed = ws.parse_page(live_page(), source=MATCH_URL).files[0]
    stored = pd.DataFrame([stored_row(home_shots_on_target=1, away_corners=pd.NA, referee="K. Friend")])
    odds = pd.DataFrame(
        [{"match_id": MATCH_ID, "bookmaker": "PS", "kind": "pre", "home": 7.3, "draw": 4.7, "away": 1.5}]
    )
    merged, notes = ws.merge_with_existing(parsed, stored, odds)
    row = merged.matches.iloc[0]
    assert row["home_shots_on_target"] == 1  # the stored value stays
    assert row["away_corners"] == 4  # a gap is filled from WhoScored
    assert row["referee"] == "K. Friend"
    assert notes == [
        f"{MATCH_ID} referee: kept 'K. Friend' from the database, WhoScored says 'K Friend'",
        f"{MATCH_ID} home_shots_on_target: kept 1 from the database, WhoScored says 0",
    ]
    assert merged.odds.to_dict("records") == odds.to_dict("records"), "the stored odds are carried along"
    assert merged.checksum == parsed.checksum


def test_merge_replaces_a_scheduled_stored_match() -> None:
    parsed = ws.parse_page(live_page(), source=MATCH_URL).files[0]
    stored = stored_row(status="scheduled", kickoff_time="20:00", referee=None)
    stored |= dict.fromkeys(["fthg", "ftag", "hthg", "htag", "ftr", "htr", *STAT_COLUMNS], pd.NA)
    merged, notes = ws.merge_with_existing(parsed, pd.DataFrame([stored]), pd.DataFrame())
    assert notes == []
    assert merged.matches.drop(columns="line").equals(parsed.matches.drop(columns="line"))


# ---------------------------------------------------------------------------------- loading (SQLite)


def test_scheduled_fixture_then_result_then_football_data(tmp_path: Path, sqlite_url: str) -> None:
    migrate(sqlite_url)
    engine = create_db_engine(sqlite_url)
    before = feed()
    before["tournaments"][0]["matches"][0] |= {"status": 1, "homeScore": None, "awayScore": None}
    (tmp_path / "before.json").write_text(json.dumps(before))
    (tmp_path / "after.json").write_text(json.dumps(feed()))
    [outcome] = ingest_whoscored([str(tmp_path / "before.json")], engine)
    assert outcome.ok and outcome.results[0].matches_inserted == 50
    assert load_match_frame(engine, status="scheduled")["match_id"].tolist() == ["E0-20210101-everton-west-ham"]
    [outcome] = ingest_whoscored([str(tmp_path / "after.json")], engine)
    assert (outcome.results[0].matches_updated, outcome.results[0].matches_unchanged) == (1, 49)
    assert load_match_frame(engine, status="scheduled").empty
    summary = ingest_football_data(plan_football_data([str(SAMPLE_E0_2021)]), engine)
    assert not summary.failed
    frame = load_match_frame(engine, divisions=["E0"], seasons=["2021"])
    assert len(frame) == 380, "football-data's rows are the WhoScored rows: no match twice"


def test_cli_loads_a_saved_match_centre(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("SOCCER_DB_URL", raising=False)
    saved = tmp_path / "burnley-man-utd.html"
    saved.write_text(live_page())
    result = CliRunner().invoke(app, ["ingest", "whoscored", str(saved), "--div", "E0"])
    assert result.exit_code == 0, result.output
    assert "E0 2021 2021-01-12 Burnley 0-1 Man United (finished)" in result.output
    assert "1 new, 0 updated, 0 unchanged" in result.output
    again = CliRunner().invoke(app, ["ingest", "whoscored", str(saved), "--div", "E0", str(tmp_path / "nope.html")])
    assert again.exit_code == 1
    assert "unchanged" in again.output
    assert "cannot read" in again.output
    assert "1 of 2 pages loaded" in again.output


# --------------------------------------------------------------------------- politeness (no browser)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds


class FakeDriver:
    """Answers page loads from a script: a status code, or an exception to raise."""

    def __init__(
        self, script: list[int | Exception], clock: FakeClock, page: str = "<html>matchCentreData</html>"
    ) -> None:
        self.script = script
        self.clock = clock
        self.page = page
        self.loads: list[str] = []
        self.started: list[float] = []
        self.quit_called = False
        self._status = 200

    def set_page_load_timeout(self, seconds: float) -> None:
        self.timeout = seconds

    def get(self, url: str) -> None:
        self.loads.append(url)
        self.started.append(self.clock.now)
        step = self.script.pop(0) if self.script else 200
        if isinstance(step, Exception):
            raise step
        self._status = step

    def execute_script(self, script: str) -> int:
        return self._status

    @property
    def page_source(self) -> str:
        return self.page

    def quit(self) -> None:
        self.quit_called = True


def fetcher(driver: FakeDriver, clock: FakeClock, **politeness: Any) -> PageFetcher:
    settings = {"min_interval": 5.0, "retries": 3, "backoff": 2.0, "ready_timeout": 0.0} | politeness
    return PageFetcher(lambda: driver, politeness=Politeness(**settings), sleep=clock.sleep, clock=clock)  # type: ignore[arg-type]


def test_retries_back_off_exponentially_on_timeouts_browser_errors_and_5xx() -> None:
    clock = FakeClock()
    driver = FakeDriver([TimeoutException("slow"), 503, WebDriverException("net::ERR_RESET"), 200], clock)
    pages = fetcher(driver, clock)
    assert pages.fetch("u") == driver.page
    # Backoff 2, 4 and 8 s before the retries, but never closer than the 5 s between loads.
    assert [later - earlier for earlier, later in zip(driver.started, driver.started[1:], strict=False)] == [
        5.0,
        5.0,
        8.0,
    ]
    assert [outcome for _, outcome in pages.attempts] == [
        "timed out after 30 s",
        "HTTP 503",
        "browser error: net::ERR_RESET",
        "ok",
    ]


def test_rate_limit_spaces_page_loads() -> None:
    clock = FakeClock()
    driver = FakeDriver([], clock)
    pages = fetcher(driver, clock)
    pages.fetch("a")
    clock.now += 1.5
    pages.fetch("b")
    assert clock.sleeps == [3.5]


def test_gives_up_after_the_retries_and_says_why() -> None:
    clock = FakeClock()
    driver = FakeDriver([500, 500, 429], clock)
    with pytest.raises(SourceError, match=r"could not load u in 3 attempts \(HTTP 500; HTTP 500; HTTP 429\)"):
        fetcher(driver, clock, retries=2).fetch("u")


def test_client_errors_are_not_retried() -> None:
    clock = FakeClock()
    driver = FakeDriver([404], clock)
    with pytest.raises(SourceError, match="u answered HTTP 404"):
        fetcher(driver, clock).fetch("u")
    assert driver.loads == ["u"]


def test_missing_chromium_is_a_config_error(tmp_path: Path) -> None:
    settings = Settings(chromium_path=tmp_path / "chromium", selenium_url=None)
    with pytest.raises(ConfigError, match=r"Chromium not found at .*chromium: install it .*SOCCER_SELENIUM_URL"):
        start_browser(settings)


def test_backoff_is_capped() -> None:
    politeness = Politeness(backoff=2.0, backoff_max=10.0)
    assert [politeness.delay(k) for k in (1, 2, 3, 4, 5)] == [2.0, 4.0, 8.0, 10.0, 10.0]
