"""data_quality_daily: run the raw-data validation gate on what the database holds now and publish the result."""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task
from soccer_common import DEFAULT_ARGS, run_cli, run_stage, stage_params

DOC = """
### data_quality_daily
After the morning ingestion: the pipeline's first two stages over the database as it is now
(`load_data_from_sources`, the divisions and seasons of the params file, then gate 1 `validate_raw`,
Great Expectations), in this DAG's own work folder. The gate's JSON report (each failed expectation with
example rows) is published to the object store as `monitoring/data_quality/latest.json` whether the gate
passed or not; a failed gate fails the `validate_raw` task, so the run shows red and alerts.
The gate reads every loaded match, so the rows that arrived since yesterday are checked with the rest.
"""

REPORT_KEY = "monitoring/data_quality/latest.json"


@dag(
    dag_id="data_quality_daily",
    schedule="30 7 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["soccerpredict", "data-quality"],
    doc_md=DOC,
    params=stage_params("data_quality_daily"),
)
def data_quality_daily() -> None:
    @task
    def load_data_from_sources(params: dict | None = None) -> None:
        """The matches of the configured divisions and seasons, from the database to parquet."""
        assert params is not None
        run_stage("load_data_from_sources", params)

    @task
    def validate_raw(params: dict | None = None) -> None:
        """Gate 1; the task fails when an expectation fails."""
        assert params is not None
        run_stage("validate_raw", params)

    @task(trigger_rule="all_done")
    def publish_report(params: dict | None = None) -> None:
        """The gate's report to the object store, passed or failed."""
        assert params is not None
        run_cli("export", "file", f"{params['workdir']}/reports/validate_raw.json", "--key", REPORT_KEY)

    load_data_from_sources() >> validate_raw() >> publish_report()


data_quality_daily()
