"""retrain: start the training pipeline when enough new finished matches arrived, drift is flagged, or no champion."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from soccer_common import DEFAULT_ARGS, run_cli, run_cli_json, setting, stage_params, training_workdir

DOC = """
### retrain
Daily after ingestion: `soccerpredict pipeline should-retrain` decides (finished matches written since the
champion was registered at or above `min_new_matches`, the published drifted-feature share above
`max_drifted_share`, or no champion at all) and prints why. When it says no, the run stops there (skipped).
When it says yes: with `SOCCER_KFP_HOST` set, the compiled pipeline (`pipelines/soccer_1x2.yaml`) is submitted
to Kubeflow Pipelines (`soccerpredict pipeline submit`) as a new pipeline version named `retrain-<logical
time>` (version names are unique per pipeline, and one commit is retrained on many days), run in the KFP
experiment `kfp_experiment`; otherwise the 22 stages run here through the CLI (`soccerpredict pipeline run`).
The pipeline's own quality gate and promotion policy decide whether the new model becomes champion.
"""


@dag(
    dag_id="retrain",
    schedule="0 8 * * *",
    start_date=pendulum.datetime(2020, 7, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    default_args={**DEFAULT_ARGS, "retries": 0},
    tags=["soccerpredict", "training"],
    doc_md=DOC,
    params={
        "min_new_matches": Param(200, type="integer", minimum=1),
        "max_drifted_share": Param(0.3, type="number", minimum=0, maximum=1),
        "kfp_host": Param(setting("SOCCER_KFP_HOST", ""), type="string", description="KFP API (optional)."),
        "kfp_experiment": Param("soccerpredict-retrain", type="string", description="KFP experiment of the runs."),
        "params_file": stage_params("retrain")["params_file"],
        "workdir": Param(training_workdir(), type="string"),
    },
)
def retrain() -> None:
    @task.short_circuit
    def should_retrain(params: dict | None = None) -> bool:
        """The retrain rule; False skips the training task."""
        assert params is not None
        decision = run_cli_json(
            "pipeline",
            "should-retrain",
            "--min-new-matches",
            str(params["min_new_matches"]),
            "--max-drifted-share",
            str(params["max_drifted_share"]),
        )
        return bool(decision["retrain"])

    @task(execution_timeout=pendulum.duration(hours=6))
    def train(params: dict | None = None, ts_nodash: str | None = None) -> dict | None:
        """Submit to Kubeflow Pipelines when a host is configured (returns the run ids), else run the stages here."""
        assert params is not None
        if params["kfp_host"]:
            version = f"retrain-{ts_nodash}"
            submitted = run_cli_json(
                "pipeline",
                "submit",
                "--host",
                params["kfp_host"],
                "--experiment",
                params["kfp_experiment"],
                "--version-name",
                version,
                "--run-name",
                version,
            )
            return dict(submitted)
        run_cli("pipeline", "run", "--params", params["params_file"], "--workdir", params["workdir"])
        return None

    should_retrain() >> train()


retrain()
