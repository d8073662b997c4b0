"""The WhoScored scraper through the real headless Chromium, into the real PostgreSQL.

Pages are built from the real saved WhoScored pages (tests/fixtures/whoscored) and served on 127.0.0.1;
the browser resolves every other host name to nothing, so no test reaches the internet. One browser serves
the whole module.
"""

from __future__ import annotations

import gc
import gzip
import json
import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from api_doubles import closed_port_url
from needs import missing
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner

from serving.stack import free_port
from soccerpredict.cli import app
from soccerpredict.data.columns import MATCH_COLUMNS
from soccerpredict.data.db import create_db_engine, migrate
from soccerpredict.data.ingest import ingest_football_data, plan_football_data
from soccerpredict.data.repository import load_match_frame, load_odds
from soccerpredict.data.schema import TeamAlias
from soccerpredict.data.sources import whoscored as ws
from soccerpredict.data.sources.browser import PageFetcher, Politeness, start_browser
from soccerpredict.data.whoscored_ingest import ingest_whoscored
from soccerpredict.settings import Settings

pytestmark = pytest.mark.service

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "whoscored"
SAMPLE_E0_2021 = REPO / "data" / "sample" / "football-data" / "E0" / "2021.csv"
MATCH_PATH = "/Matches/1485184/Live/England-Premier-League-2020-2021-Burnley-Manchester-United"
PREVIEW_PATH = "/Matches/1485184/Preview/England-Premier-League-2020-2021-Burnley-Manchester-United"
FEED_PATH = "/tournaments/18685/data/?d=202101"
MATCH_ID = "E0-20210112-burnley-man-united"
#: Any host but the test server resolves to nothing: a page that links out cannot reach the internet.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"


def read_fixture(name: str) -> str:
    return gzip.decompress((FIXTURES / name).read_bytes()).decode("utf-8")


def live_page() -> str:
    """The real matchCentreData in the frame of a match-centre page (tests/fixtures/whoscored/README.md)."""
    frame = (FIXTURES / "live_page.html").read_text()
    return frame.replace("{{MATCH_CENTRE_DATA}}", read_fixture("matchcentre_1485184.json.gz"))


def offline_preview() -> str:
    """The real preview page (no matchCentreData), its external scripts cut off and its links sent to a port that
    refuses connections (held bound by this process: nothing can listen there and keep a stylesheet loading)."""
    page = re.sub(r"<script[^>]*\bsrc=[^>]*>\s*</script>", "", read_fixture("preview_1485184.html.gz"))
    return re.sub(r"https?://[^\s\"'<>)]+", closed_port_url() + "/", page)


# -------------------------------------------------------------------------------------- the test site


#: A scripted answer that is held until the path is asked for again (the browser's retry) or the site closes:
#: a page that never loads within any timeout, without a sleep racing that timeout.
HOLD = -1.0


@dataclass
class Route:
    """What a path answers: (status, seconds to wait first, or HOLD) per request, then ``body`` with 200 forever."""

    body: str
    content_type: str = "text/html; charset=utf-8"
    script: list[tuple[int, float]] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)


class Site:
    """An HTTP server on 127.0.0.1 with scripted answers, recording when each path was asked for."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[tuple[str, float]] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.requests.append((self.path, time.monotonic()))
                route = site.routes.get(self.path)
                if route is None:
                    self.send_error(404)
                    return
                route.released.set()  # a held answer to an earlier request of this path may go now
                status, delay = route.script.pop(0) if route.script else (200, 0.0)
                if delay == HOLD:
                    route.released.clear()
                    route.released.wait()
                else:
                    time.sleep(delay)
                body = (route.body if status == 200 else f"<html><body>error {status}</body></html>").encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", route.content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the browser gave up waiting: that is the point of a slow answer

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def asked(self, path: str) -> list[float]:
        return [when for asked, when in self.requests if asked == path]

    def close(self) -> None:
        for route in self.routes.values():
            route.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    served = Site()
    served.routes[MATCH_PATH] = Route(live_page())
    served.routes[PREVIEW_PATH] = Route(offline_preview())
    feed = read_fixture("fixtures_ENG-Premier-League_2020-21_stage18685_page0.json.gz")
    served.routes[FEED_PATH] = Route(feed, content_type="application/json; charset=utf-8")
    yield served
    served.close()


@pytest.fixture(scope="module")
def settings() -> Settings:
    settings = Settings(selenium_url=None)
    if not (settings.chromium_path.is_file() and settings.chromedriver_path.is_file()):
        missing(f"no Chromium at {settings.chromium_path} or chromedriver at {settings.chromedriver_path}")
    return settings


@pytest.fixture(scope="module")
def browser(settings: Settings) -> Iterator[Any]:
    driver = start_browser(settings, arguments=[OFFLINE])
    yield driver
    driver.quit()


def fetcher(browser: Any, **politeness: Any) -> PageFetcher:
    """A fetcher on the module's browser (never closed here: the browser fixture quits it)."""
    values = {"min_interval": 0.0, "retries": 2, "backoff": 0.1, "page_timeout": 10.0, "ready_timeout": 0.5}
    return PageFetcher(lambda: browser, politeness=Politeness(**(values | politeness)))


@pytest.fixture
def engine(pg_url: str) -> Iterator[Engine]:
    migrate(pg_url)
    engine = create_db_engine(pg_url)
    yield engine
    engine.dispose()


def load_football_data(engine: Engine) -> None:
    summary = ingest_football_data(plan_football_data([str(SAMPLE_E0_2021)]), engine)
    assert not summary.failed


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the tables a load writes (the ingestion log by count: it records each attempt)."""
    tables = {
        "matches": "SELECT * FROM matches ORDER BY match_id",
        "match_stats": "SELECT * FROM match_stats ORDER BY match_id",
        "odds": "SELECT * FROM odds ORDER BY match_id, bookmaker, kind",
        "teams": "SELECT * FROM teams ORDER BY id",
        "team_aliases": "SELECT * FROM team_aliases ORDER BY alias",
    }
    with engine.connect() as conn:
        return {name: [tuple(row) for row in conn.execute(text(sql))] for name, sql in tables.items()}


def log_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ingestion_log")).scalar_one())


# ------------------------------------------------------------------------------------------- tests


def test_scraped_match_is_the_football_data_match(site: Site, browser: Any, engine: Engine) -> None:
    load_football_data(engine)
    before = snapshot(engine)
    url = site.url(MATCH_PATH)
    [outcome] = ingest_whoscored([url], engine, fetcher=fetcher(browser))
    assert outcome.ok, outcome.error
    assert outcome.kind == "match-centre"
    assert outcome.matches == ["E0 2021 2021-01-12 Burnley 0-1 Man United (finished)"]
    [result] = outcome.results
    # Same match id (Man Utd -> Man United, same date), same score and statistics: nothing to change.
    assert (result.status, result.matches_inserted, result.matches_updated, result.matches_unchanged) == (
        "loaded",
        0,
        0,
        1,
    )
    assert outcome.notes == [], "WhoScored agrees with football-data on every stored column of this match"
    after = snapshot(engine)
    for table in ("matches", "match_stats", "odds", "teams"):
        assert after[table] == before[table], table
    with engine.connect() as conn:
        alias = conn.execute(select(TeamAlias.alias, TeamAlias.source)).all()
    assert alias == [("Man Utd", url)], "WhoScored's spelling is kept as an alias of the canonical team"
    stored = load_match_frame(engine, divisions=["E0"], seasons=["2021"]).set_index("match_id").loc[MATCH_ID]
    scraped = ws.parse_page(live_page(), source=url).files[0].matches.set_index("match_id").loc[MATCH_ID]
    for column in [c for c in MATCH_COLUMNS if c != "match_id"]:
        assert stored[column] == scraped[column], column
    assert len(load_odds(engine, divisions=["E0"], seasons=["2021"]).query("match_id == @MATCH_ID")) > 0


def test_fixtures_feed_through_chromium_json_view(site: Site, browser: Any, engine: Engine) -> None:
    load_football_data(engine)
    before = snapshot(engine)
    [outcome] = ingest_whoscored([site.url(FEED_PATH)], engine, fetcher=fetcher(browser))
    assert outcome.ok, outcome.error
    assert outcome.kind == "fixtures"
    [result] = outcome.results
    assert (result.matches_inserted, result.matches_updated, result.matches_unchanged) == (0, 0, 50)
    # The feed counts one more yellow card than football-data in two matches; football-data's count stays.
    assert outcome.notes == [
        "E0-20210102-tottenham-leeds home_yellow: kept 2 from the database, WhoScored says 3",
        "E0-20210112-sheffield-united-newcastle away_yellow: kept 3 from the database, WhoScored says 4",
    ]
    after = snapshot(engine)
    assert {t: after[t] == before[t] for t in ("matches", "match_stats", "odds", "teams")} == dict.fromkeys(
        ("matches", "match_stats", "odds", "teams"), True
    )


def test_scraping_twice_writes_nothing_new(site: Site, browser: Any, engine: Engine) -> None:
    url = site.url(MATCH_PATH)
    pages = fetcher(browser)
    [first] = ingest_whoscored([url], engine, fetcher=pages)
    assert first.results[0].matches_inserted == 1
    assert first.notes == [
        "teams new to the database: 'Burnley', 'Man United'; if a club is already stored under another name, "
        "add its WhoScored spelling to WHOSCORED_TEAM_ALIASES and re-scrape"
    ]
    written, logged = snapshot(engine), log_count(engine)
    [second] = ingest_whoscored([url], engine, fetcher=pages)
    assert second.results[0].status == "unchanged"
    assert (snapshot(engine), log_count(engine)) == (written, logged)
    [forced] = ingest_whoscored([url], engine, fetcher=pages, force=True)
    assert (forced.results[0].status, forced.results[0].matches_unchanged) == ("loaded", 1)
    assert snapshot(engine) == written, "a forced re-load rewrites no row (it only logs the attempt)"
    # football-data, loaded afterwards, takes the same row over rather than adding a second one.
    load_football_data(engine)
    frame = load_match_frame(engine, divisions=["E0"], seasons=["2021"])
    assert len(frame) == 380
    assert frame.set_index("match_id").loc[MATCH_ID, "home_shots"] == 11


def test_retries_after_a_server_error_and_a_timeout(site: Site, browser: Any) -> None:
    path, slow = f"{MATCH_PATH}?flaky", f"{MATCH_PATH}?slow"
    site.routes[path] = Route(live_page(), script=[(500, 0.0)])
    site.routes[slow] = Route(live_page(), script=[(200, HOLD)])
    # No timeout is meant to fire on the server error's path: its page may take as long as a busy machine needs.
    pages = fetcher(browser, min_interval=0.5, backoff=0.1, page_timeout=60.0)
    page = pages.fetch(site.url(path), ready=["matchCentreData"])
    assert ws.parse_page(page, source=site.url(path)).files[0].matches["match_id"].tolist() == [MATCH_ID]
    assert [outcome for _, outcome in pages.attempts] == ["HTTP 500", "ok"]
    # The held page never loads, whatever the timeout; the timeout only has to be longer than the retry's ordinary
    # local page takes on a busy machine (each held attempt costs the test this long).
    held_pages = fetcher(browser, backoff=0.1, page_timeout=10.0)
    page = held_pages.fetch(site.url(slow), ready=["matchCentreData"])
    assert "matchCentreData" in page
    assert [outcome for _, outcome in held_pages.attempts] == ["timed out after 10 s", "ok"]
    first, second = site.asked(path)
    assert second - first >= 0.5, "the retry waits out the rate limit, which is longer than the backoff"


def test_gives_up_after_the_retries(site: Site, browser: Any) -> None:
    path = f"{MATCH_PATH}?down"
    site.routes[path] = Route(live_page(), script=[(503, 0.0)] * 3)
    [outcome] = ingest_whoscored([site.url(path)], None, fetcher=fetcher(browser, retries=2))
    assert outcome.error is not None
    assert f"could not load {site.url(path)} in 3 attempts (HTTP 503; HTTP 503; HTTP 503)" in outcome.error
    assert len(site.asked(path)) == 3


def test_changed_layout_is_reported_through_the_browser(site: Site, browser: Any) -> None:
    url = site.url(PREVIEW_PATH)
    [outcome] = ingest_whoscored([url], None, fetcher=fetcher(browser))
    assert outcome.error is not None
    assert f"no matchCentreData in {url}: expected a script containing 'matchCentreData" in outcome.error
    [missing] = ingest_whoscored([site.url("/Matches/1/Live/x")], None, fetcher=fetcher(browser))
    assert missing.error is not None and "answered HTTP 404" in missing.error


def test_cli_scrapes_into_the_database(
    site: Site, pg_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path))
    monkeypatch.setenv("SOCCER_DB_URL", pg_url)
    monkeypatch.setenv("SOCCER_SCRAPE_MIN_INTERVAL", "0")
    monkeypatch.setenv("SOCCER_CHROMIUM_ARGUMENTS", json.dumps([OFFLINE]))
    monkeypatch.delenv("SOCCER_SELENIUM_URL", raising=False)
    missing = site.url("/Matches/2/Live/England-Premier-League-2020-2021-Nobody-Nowhere")
    result = CliRunner().invoke(app, ["ingest", "whoscored", site.url(MATCH_PATH), missing])
    assert result.exit_code == 1, result.output  # the missing page fails, the match centre loads
    assert "E0 2021 2021-01-12 Burnley 0-1 Man United (finished)" in result.output
    assert "answered HTTP 404" in result.output
    assert "1 of 2 pages loaded" in result.output
    engine = create_db_engine(pg_url)
    try:
        assert load_match_frame(engine)["match_id"].tolist() == [MATCH_ID]
    finally:
        engine.dispose()


def test_remote_grid(site: Site, settings: Settings) -> None:
    """SOCCER_SELENIUM_URL: a WebDriver server (here chromedriver itself, as a grid node would run it)."""
    # chromedriver takes a port number, not a socket: serving.stack.free_port picks one below the ephemeral range, so
    # no outgoing connection can take it before chromedriver binds it (a port found free by binding 0 could be).
    port = free_port()
    server = subprocess.Popen([str(settings.chromedriver_path), f"--port={port}"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not listening(port):
            assert server.poll() is None, f"chromedriver --port={port} exited with {server.returncode}"
            assert time.monotonic() < deadline, f"chromedriver is not listening on port {port} after 60 s"
            time.sleep(0.1)
        remote = Settings(selenium_url=f"http://127.0.0.1:{port}")
        driver = start_browser(remote, arguments=[OFFLINE])
        try:
            page = fetcher(driver).fetch(site.url(MATCH_PATH), ready=["matchCentreData"])
        finally:
            driver.quit()
        assert ws.parse_page(page, source=site.url(MATCH_PATH)).files[0].matches["match_id"].tolist() == [MATCH_ID]
    finally:
        server.terminate()
        server.wait(timeout=10)


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_browser_profile_is_removed(settings: Settings) -> None:
    driver = start_browser(settings, arguments=[OFFLINE])
    profile = Path(driver.capabilities["chrome"]["userDataDir"])
    assert profile.is_dir() and profile.name.startswith("soccerpredict-chromium-")
    driver.quit()
    del driver
    gc.collect()
    assert not profile.exists()
