"""whoscored_matches: scrape match-centre pages (statistics of finished matches, upcoming fixtures) and upsert them."""

from __future__ import annotations

import re

import pendulum
from airflow.sdk import Param, dag, task
from soccer_common import DEFAULT_ARGS, run_cli_json, setting

DOC = """
### whoscored_matches
Headless Chromium (Debian's, or the Selenium grid at `SOCCER_SELENIUM_URL`) opens each configured WhoScored
target: match-centre pages (`https://www.whoscored.com/Matches/<id>/Live/<Region-Tournament-Season-Home-Away>`)
and tournament fixtures feeds. `soccerpredict ingest whoscored` extracts the embedded `matchCentreData`
(teams, score, team statistics, events), maps team names to the canonical ones through the aliases table and
upserts them into the same tables as football-data (football-data's values win where both have one; every
disagreement is reported). Polite by default: `SOCCER_SCRAPE_MIN_INTERVAL` seconds between pages, retries with
backoff; a changed page layout fails the task with what was expected and not found.
Targets: the `targets` param, or `SOCCER_WHOSCORED_TARGETS` (whitespace- or comma-separated).
"""


@dag(
    dag_id="whoscored_matches",
    schedule="0 5 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "execution_timeout": pendulum.duration(hours=2)},
    tags=["soccerpredict", "ingestion", "whoscored"],
    doc_md=DOC,
    params={
        "targets": Param(setting("SOCCER_WHOSCORED_TARGETS", ""), type="string", description="Pages to scrape."),
        "div": Param("", type="string", description="football-data division when a URL does not name it."),
    },
)
def whoscored_matches() -> None:
    @task
    def plan(params: dict | None = None) -> list[str]:
        """The pages to scrape; none configured is an error, not a silent success."""
        assert params is not None
        targets = [t for t in re.split(r"[\s,]+", params["targets"]) if t]
        if not targets:
            raise ValueError("no WhoScored targets: set SOCCER_WHOSCORED_TARGETS or the DAG's targets param")
        return targets

    @task
    def scrape(targets: list[str], params: dict | None = None) -> dict:
        """Scrape and upsert; fails when a page cannot be loaded (others still load first); returns the page counts."""
        assert params is not None
        extra = ["--div", params["div"]] if params["div"] else []
        pages: dict = run_cli_json("ingest", "whoscored", *targets, *extra)["pages"]
        return pages

    scrape(plan())


whoscored_matches()
