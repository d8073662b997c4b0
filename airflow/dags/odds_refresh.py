"""odds_refresh: refresh upcoming fixtures and their pre-match odds from the configured odds source."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from soccer_common import DEFAULT_ARGS, ingestion_counts, run_cli_json, setting

DOC = """
### odds_refresh
Every six hours: the odds source (pluggable, `soccerpredict ingest odds --source NAME`; the one shipped is
football-data.co.uk's `fixtures.csv`, all divisions in one file) is split by division and loaded as scheduled
matches with their pre-match prices. A fixture already finished in the database keeps its result (the row is
reported as rejected). Closing odds never come from here: they arrive with the results files.
"""


@dag(
    dag_id="odds_refresh",
    schedule="0 */6 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["soccerpredict", "ingestion", "odds"],
    doc_md=DOC,
    params={
        "source": Param("football-data-fixtures", type="string", description="Odds source name."),
        "location": Param(
            setting("SOCCER_ODDS_URL", "https://www.football-data.co.uk/fixtures.csv"),
            type="string",
            description="File or URL the source reads.",
        ),
    },
)
def odds_refresh() -> None:
    @task
    def refresh_odds(params: dict | None = None) -> dict:
        """Load the source's fixtures and prices, one transaction per division; returns the counts."""
        assert params is not None
        return ingestion_counts(run_cli_json("ingest", "odds", params["location"], "--source", params["source"]))

    refresh_odds()


odds_refresh()
