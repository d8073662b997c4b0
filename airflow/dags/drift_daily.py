"""drift_daily: drift of recent features against the training reference; published for the facade's gauge."""

from __future__ import annotations

import shutil
from pathlib import Path

import pendulum
from airflow.sdk import Param, chain, dag, task
from soccer_common import DEFAULT_ARGS, run_stage, setting, stage_params, stage_set, training_workdir

DOC = """
### drift_daily
The features of the last `drift.current_days` days (finished matches and fixtures) against a sample of the
champion's training rows, with Evidently (`monitor_drift`). The reference is the last training run's
`split/train.parquet` (`SOCCER_TRAINING_WORKDIR`), copied into this DAG's work folder; the data and feature
stages run on today's database. The summary and HTML report are published to the object store
(`monitoring/drift/latest.json`, `.html`); the facade reloads them on its next refresh and sets the
`soccerpredict_model_feature_drift_score` gauge per feature, which the `FeatureDriftDetected` alert watches. When
`SOCCER_API_URL` and `SOCCER_API_KEY` are set, the last task reads `GET /monitoring/drift` back from the facade.
"""

#: The stages of the table tagged "drift", in order, and what they read that none of them writes: the training
#: reference (``split/train.parquet``), copied from the last training run.
DRIFT = stage_set("drift")
STAGES = DRIFT["stages"]
REFERENCE = DRIFT["external_inputs"]


@dag(
    dag_id="drift_daily",
    schedule="0 10 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    tags=["soccerpredict", "monitoring", "drift"],
    doc_md=DOC,
    params={
        **stage_params("drift_daily"),
        "training_workdir": Param(training_workdir(), type="string"),
        "api_url": Param(setting("SOCCER_API_URL", ""), type="string", description="Facade URL (optional)."),
    },
)
def drift_daily() -> None:
    @task
    def copy_reference(params: dict | None = None) -> str:
        """The training reference of the last training run, into this DAG's work folder."""
        assert params is not None
        copied = []
        for name in REFERENCE:
            source = Path(params["training_workdir"]) / name
            if not source.is_file():
                raise FileNotFoundError(f"no training reference at {source}: run the training pipeline first")
            target = Path(params["workdir"]) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied.append(str(target))
        return ", ".join(copied)

    @task
    def stage(name: str, params: dict | None = None) -> None:
        """One pipeline stage over this DAG's work folder."""
        assert params is not None
        run_stage(name, params)

    @task
    def read_back_from_facade(params: dict | None = None) -> str:
        """Ask the facade for the drift it serves (it reloads published objects on its own schedule)."""
        import json
        import os
        import urllib.request

        assert params is not None
        if not params["api_url"]:
            return "SOCCER_API_URL not set: the facade picks the summary up from the object store on its next refresh"
        request = urllib.request.Request(
            params["api_url"].rstrip("/") + "/monitoring/drift", headers={"X-API-Key": os.environ["SOCCER_API_KEY"]}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            served = json.load(response)
        return f"facade serves drift with drifted_share={served.get('drifted_share')}"

    stages = [stage.override(task_id=name)(name) for name in STAGES]
    chain(copy_reference(), *stages, read_back_from_facade())


drift_daily()
