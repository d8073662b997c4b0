"""batch_inference_daily: score upcoming fixtures with the champion; publish predictions and match cards."""

from __future__ import annotations

import pendulum
from airflow.sdk import chain, dag, task
from soccer_common import DEFAULT_ARGS, run_stage, stage_params, stage_set

DOC = """
### batch_inference_daily
After the morning ingestion and odds refresh: the pipeline's data and feature stages over today's data,
then `batch_inference` with the registry's `@champion` and `build_cards`, each stage a task running
`soccerpredict stage NAME` in this DAG's own work folder (the training pipeline's artifacts are not touched).
Predictions (`predictions/latest/predictions.parquet`), the match-features snapshot the predictor reads for
`match_id` requests, and the cards are published to the object store; the facade picks them up on its next
refresh. With no champion in the registry nothing is published and the run says so.
"""

#: The stages of the table tagged "inference", in order: data, two gates, features, scoring, cards.
STAGES = stage_set("inference")["stages"]


@dag(
    dag_id="batch_inference_daily",
    schedule="0 9 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["soccerpredict", "inference"],
    doc_md=DOC,
    params=stage_params("batch_inference_daily"),
)
def batch_inference_daily() -> None:
    @task
    def stage(name: str, params: dict | None = None) -> None:
        """One pipeline stage over this DAG's work folder."""
        assert params is not None
        run_stage(name, params)

    chain(*[stage.override(task_id=name)(name) for name in STAGES])


batch_inference_daily()
