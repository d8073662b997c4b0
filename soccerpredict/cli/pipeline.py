"""`soccerpredict pipeline` and `soccerpredict stage`: the stage table under DVC, KFP or this process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from soccerpredict.cli.context import load_settings, open_engine
from soccerpredict.cli.options import Experiment, JsonOutput, LocalRunner
from soccerpredict.cli.output import console, emit, fail
from soccerpredict.cli.progress import run_stages
from soccerpredict.errors import SoccerPredictError

app = typer.Typer(help="The training pipeline under DVC and Kubeflow Pipelines.", no_args_is_help=True)


def stage(
    name: Annotated[str, typer.Argument(help="Stage name (see `soccerpredict pipeline stages`).")],
    workdir: Annotated[Path, typer.Option(help="Folder of the pipeline's artifacts.")] = Path("artifacts"),
    params: Annotated[Path, typer.Option(help="Composed params file.")] = Path("params.yaml"),
) -> None:
    """Run one pipeline stage over files in the work folder (what dvc.yaml calls)."""
    from components.stages import run_table_stage, stage_by_name
    from soccerpredict.params import load_params

    try:
        spec = stage_by_name(name)
        run_table_stage(spec, paths=spec.paths_under(workdir), params=load_params(params), settings=load_settings())
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc


@app.command("stages")
def pipeline_stages(
    tag: Annotated[
        str | None,
        typer.Option(help="Only the stages with this tag (inference, drift: what the daily DAGs run), in order."),
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """List the stages in order with their inputs and outputs (each keeps its number in the table)."""
    from components.stages import STAGES, tagged

    try:
        chosen = {spec.name for spec in (tagged(tag) if tag is not None else STAGES)}
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    stages: list[dict[str, Any]] = [
        {
            "number": number,
            "name": spec.name,
            "reads": list(spec.inputs.values()),
            "writes": list(spec.outputs.values()),
            "params": list(spec.params),
        }
        for number, spec in enumerate(STAGES, start=1)
        if spec.name in chosen
    ]

    def show() -> None:
        table = Table("#", "stage", "reads", "writes", "params")
        for row in stages:
            table.add_row(
                str(row["number"]),
                row["name"],
                "\n".join(row["reads"]),
                "\n".join(row["writes"]),
                ", ".join(row["params"]),
            )
        console.print(table)

    emit(json_output, stages, show)


@app.command("dvc-yaml")
def pipeline_dvc_yaml(out: Annotated[Path, typer.Option(help="Where to write it.")] = Path("dvc.yaml")) -> None:
    """Regenerate dvc.yaml from the stage table."""
    from pipelines.dvc import write_dvc_yaml

    console.print(f"wrote {write_dvc_yaml(out)}")


@app.command("stage-sets")
def pipeline_stage_sets(
    out: Annotated[Path | None, typer.Option(help="Where to write it (default airflow/dags/stage_sets.json).")] = None,
) -> None:
    """Regenerate the daily DAGs' stage sets (airflow/dags/stage_sets.json) from the stage table's tags."""
    from pipelines.stage_sets import STAGE_SETS, write_stage_sets

    console.print(f"wrote {write_stage_sets(out or STAGE_SETS)}")


@app.command("compile")
def pipeline_compile(
    experiment: Annotated[
        Experiment, typer.Option(help="Experiment whose params become the defaults (cluster: the database, no files).")
    ] = Experiment.cluster,
    params: Annotated[Path | None, typer.Option(help="A composed params file instead of --experiment.")] = None,
    image: Annotated[str | None, typer.Option(help="Project image every component runs in.")] = None,
    out: Annotated[Path | None, typer.Option(help="Output YAML (default pipelines/soccer_1x2.yaml).")] = None,
) -> None:
    """Compile the Kubeflow pipeline (KFP v2 IR YAML) from the stage table.

    The committed pipelines/soccer_1x2.yaml is this command's output with its defaults: the `cluster`
    experiment (it reads what the ingestion DAGs loaded) and the image this source builds.
    """
    from pipelines.kfp_pipeline import COMPILED, compile_pipeline
    from soccerpredict.params import compose_params, load_params

    try:
        loaded = load_params(params) if params is not None else compose_params(experiment.value)
        path = compile_pipeline(loaded, out=out or COMPILED, image=image)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    console.print(f"compiled {path}")


@app.command("run")
def pipeline_run(
    local: Annotated[
        bool, typer.Option("--local", help="Run through KFP's local runner (each stage a component).")
    ] = False,
    runner: Annotated[
        LocalRunner,
        typer.Option(help="With --local: each component in a subprocess, or in a container of the project image."),
    ] = LocalRunner.subprocess,
    image: Annotated[
        str | None, typer.Option(help="With --runner docker: the image (default: the one this source builds).")
    ] = None,
    params: Annotated[Path, typer.Option(help="Composed params file.")] = Path("params.yaml"),
    pipeline_root: Annotated[Path, typer.Option(help="Where --local runs keep their artifacts.")] = Path(
        "local_outputs"
    ),
    workdir: Annotated[Path, typer.Option(help="Artifacts folder of the in-process run.")] = Path("artifacts"),
    json_output: JsonOutput = False,
) -> None:
    """Run all 22 stages on this machine: in this process (default) or through KFP's local runner (`--local`).

    In this process it shows the stage running (n/22), its name and its time. With --json it prints the
    artifacts folder and each stage's summary (in-process runs). For a cluster use `soccerpredict pipeline
    submit --host URL`; for cached re-runs use `dvc repro`.
    """
    from soccerpredict.params import load_params

    try:
        loaded = load_params(params)
        if local:
            from pipelines.kfp_pipeline import run_local

            run_local(loaded, pipeline_root=pipeline_root.resolve(), runner=runner.value, image=image)
            data: dict[str, Any] = {"artifacts": str(pipeline_root), "stages": None}
        else:
            data = {"artifacts": str(workdir), "stages": run_stages(loaded, workdir, load_settings())}
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    emit(json_output, data, lambda: console.print(f"pipeline finished; artifacts under {data['artifacts']}"))


@app.command("submit")
def pipeline_submit(
    host: Annotated[str, typer.Option(help="KFP API endpoint, e.g. http://localhost:8080.")],
    experiment: Annotated[str, typer.Option(help="KFP experiment the run goes into (created when missing).")] = (
        "soccerpredict"
    ),
    version_name: Annotated[
        str | None,
        typer.Option(help="Name of the new pipeline version (default: the git commit's short hash, else a timestamp)."),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            help="Pipeline parameter as key=value, repeatable; the value is JSON when it parses "
            '(--param n_trials_xgb=40 --param \'test_seasons=["2223","2324"]\'), else a string.',
        ),
    ] = None,
    run_name: Annotated[str | None, typer.Option(help="Run name (default: <pipeline>-<version name>).")] = None,
    pipeline_name: Annotated[
        str | None, typer.Option(help="KFP pipeline to add the version to (default: the compiled name).")
    ] = None,
    package: Annotated[Path, typer.Option(help="Compiled pipeline YAML.")] = Path("pipelines/soccer_1x2.yaml"),
    json_output: JsonOutput = False,
) -> None:
    """Upload the compiled pipeline as a new pipeline version and start a run of it in a KFP experiment.

    The pipeline is created first when the server has none of that name. Unknown --param keys are rejected
    before anything is sent, with the list of the pipeline's parameters.
    """
    from dataclasses import asdict

    from pipelines.kfp_pipeline import default_version_name, parse_param_pairs, submit

    try:
        done = submit(
            package,
            host=host,
            version_name=version_name or default_version_name(),
            experiment=experiment,
            run_name=run_name,
            params=parse_param_pairs(param or []),
            pipeline_name=pipeline_name,
        )
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc

    def show() -> None:
        verb = "created pipeline" if done.pipeline_created else "pipeline"
        console.print(f"{verb} {done.pipeline_id}, version {done.version_name!r} ({done.version_id})")
        console.print(f"started run {done.run_id} ({done.run_name!r}) in experiment {done.experiment!r} on {host}")

    emit(json_output, asdict(done), show)


@app.command("should-retrain")
def pipeline_should_retrain(
    min_new_matches: Annotated[
        int, typer.Option(help="Retrain when at least this many finished matches arrived since the champion.")
    ] = 200,
    max_drifted_share: Annotated[
        float, typer.Option(help="Retrain when the published drift summary flags a larger share of features.")
    ] = 0.3,
    json_output: JsonOutput = False,
) -> None:
    """Decide whether to retrain: new finished matches since the champion, drift, or no champion.

    With --json: {"retrain", "reasons", "champion_version", "new_matches", "drifted_share"} (what the DAG reads).
    """
    from dataclasses import asdict

    from soccerpredict.data.store import ObjectStore
    from soccerpredict.registry.mlflow_log import use_tracking
    from soccerpredict.registry.retrain import (
        champion_registered_at,
        decide_retrain,
        finished_since,
        published_drift_share,
    )

    settings = load_settings()
    try:
        use_tracking(settings.tracking_uri)
        champion = champion_registered_at()
        decision = decide_retrain(
            champion_version=champion[0] if champion else None,
            new_matches=finished_since(open_engine(settings), champion[1] if champion else None),
            drifted_share=published_drift_share(ObjectStore.from_settings(settings)),
            min_new_matches=min_new_matches,
            max_drifted_share=max_drifted_share,
        )
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc

    def show() -> None:
        for reason in decision.reasons or ["nothing new enough to retrain on"]:
            console.print(f"{'retrain' if decision.retrain else 'keep'}: {reason}", highlight=False)

    emit(json_output, asdict(decision), show)
