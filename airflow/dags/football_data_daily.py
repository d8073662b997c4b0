"""football_data_daily: download the current season's football-data.co.uk files, ingest them, snapshot raw data."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from soccer_common import BIG_FIVE, DEFAULT_ARGS, division_codes, ingestion_counts, run_cli_json, season_code, setting

DOC = """
### football_data_daily
Every morning: the current season's CSV of each configured division from football-data.co.uk
(`<base_url>/<SEASON>/<DIV>.csv`; the season follows the run's logical date, seasons start on 1 July),
loaded with idempotent upserts (`soccerpredict ingest football-data`: a file whose bytes did not change
is skipped; every rejected row is reported in the task log and a CSV under `SOCCER_HOME/reports`),
then a dated raw snapshot to the object store (`soccerpredict export raw`).
"""


@dag(
    dag_id="football_data_daily",
    schedule="0 6 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["soccerpredict", "ingestion", "football-data"],
    doc_md=DOC,
    params={
        "divisions": Param(setting("SOCCER_DIVISIONS", BIG_FIVE), type="string", description="Division codes."),
        "base_url": Param(
            setting("SOCCER_FOOTBALL_DATA_URL", "https://www.football-data.co.uk/mmz4281"),
            type="string",
            description="Root of the season files.",
        ),
    },
)
def football_data_daily() -> None:
    @task
    def plan(params: dict | None = None, logical_date: pendulum.DateTime | None = None) -> list[str]:
        """The URLs of the current season's files."""
        assert params is not None and logical_date is not None
        season = season_code(logical_date.date())
        base = params["base_url"].rstrip("/")
        return [f"{base}/{season}/{div}.csv" for div in division_codes(params["divisions"])]

    @task
    def ingest(urls: list[str]) -> dict:
        """Download and load every file; fails (and retries) when one cannot be loaded; returns the counts."""
        return ingestion_counts(run_cli_json("ingest", "football-data", *urls))

    @task
    def export_raw() -> dict:
        """Dated parquet snapshot of matches, statistics and odds in the object store; returns its URIs."""
        snapshot: dict = run_cli_json("export", "raw")
        return snapshot

    ingest(plan()) >> export_raw()


football_data_daily()
