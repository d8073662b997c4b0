"""`soccerpredict demo`: ingest, train and serve on embedded defaults, with no service to run first."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from soccerpredict.cli.context import load_settings
from soccerpredict.cli.export import export_raw
from soccerpredict.cli.ingest import ingest_targets
from soccerpredict.cli.options import Experiment
from soccerpredict.cli.output import console, fail
from soccerpredict.cli.progress import run_stages
from soccerpredict.errors import SoccerPredictError
from soccerpredict.settings import Settings

DEFAULT_SAMPLE = Path("data/sample/football-data")


def demo(
    data: Annotated[Path, typer.Option(help="Folder of football-data CSVs to ingest.")] = DEFAULT_SAMPLE,
    experiment: Annotated[
        Experiment, typer.Option(help="Pipeline experiment (conf/experiment/<name>.yaml).")
    ] = Experiment.default,
    retrain: Annotated[
        bool, typer.Option(help="Run the pipeline even when a champion already serves this data.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Call every endpoint once, stop everything, exit 0 or 1.")
    ] = False,
) -> None:
    """The main job on embedded defaults: ingest, train (22 stages), serve the champion, print where.

    Needs no service: SQLite, a local object store, the MLflow SQLite registry and an embedded Celery
    broker under SOCCER_HOME. Set SOCCER_REDIS_URL to cache predictions in Redis.
    """
    import secrets

    from soccerpredict.registry.mlflow_log import use_tracking

    if not data.exists():
        raise fail(f"{data} does not exist: run from the repository root or pass --data FOLDER")
    settings = load_settings()
    summary = ingest_targets([str(data)], force=False, rejections_out=None)
    if summary.failed:
        raise typer.Exit(code=1)
    changed = summary.statuses()["loaded"] > 0  # a new or changed file: the champion was trained on other data
    export_raw(day=None)
    use_tracking(settings.tracking_uri)
    champion = _champion()
    if champion is None or changed or retrain:
        champion = _demo_pipeline(experiment.value, settings)
    else:
        console.print(f"[green]champion v{champion} already trained on this data[/] (pass --retrain to train again)")
    if champion is None:
        raise fail(
            "the pipeline finished without a champion: the model did not pass the quality gate. Read "
            f"{settings.home_dir / 'pipeline' / 'artifacts' / 'reports' / 'evaluation.json'} (quality_gate) and the "
            "model card; "
            "promote a version by hand with `soccerpredict registry promote` if you accept it"
        )
    _demo_serve(settings, champion, api_key=_demo_key(settings) or secrets.token_urlsafe(18), check=check)


def _champion() -> str | None:
    from soccerpredict.artifacts import ALIAS_CHAMPION
    from soccerpredict.registry.promotion import alias_version

    return alias_version(ALIAS_CHAMPION)


def _demo_pipeline(experiment: str, settings: Settings) -> str | None:
    """Compose the experiment's params and run the 22 stages in this process; the champion afterwards."""
    from soccerpredict.params import compose_params, write_params

    folder = settings.home_dir / "pipeline"
    folder.mkdir(parents=True, exist_ok=True)
    params = compose_params(experiment, [])
    write_params(params, folder / "params.yaml")
    console.rule(f"training pipeline: 22 stages, experiment {experiment!r} (a few minutes on two cores)")
    try:
        run_stages(params, folder / "artifacts", settings)
    except SoccerPredictError as exc:
        raise fail(f"{exc}\n(artifacts of the stages that finished: {folder / 'artifacts'})") from exc
    return _champion()


def _demo_key(settings: Settings) -> str | None:
    return settings.api_keys[0].get_secret_value() if settings.api_keys else None


def _demo_serve(settings: Settings, champion: str, *, api_key: str, check: bool) -> None:
    """Start predictor, facade and worker; print how to call them; check every endpoint or wait for Ctrl-C."""
    import json
    import signal

    from serving.checks import check_endpoints
    from serving.stack import LocalStack, free_port
    from soccerpredict.errors import ServingError

    predictor_port = free_port(None if check else settings.predictor_port)
    api_port = free_port(None if check else settings.api_port)
    ui_port = free_port(None if check else settings.ui_port)
    env = {
        "SOCCER_HOME": str(settings.home_dir),
        "SOCCER_API_KEYS": json.dumps([api_key]),
        "SOCCER_PREDICTOR_PORT": str(predictor_port),
        "SOCCER_PREDICTOR_URL": f"http://127.0.0.1:{predictor_port}",
        "SOCCER_API_PORT": str(api_port),
        "SOCCER_UI_API_KEY": api_key,
        "MLFLOW_TRACKING_URI": settings.tracking_uri,
    }
    logs = settings.home_dir / "logs"
    stack = LocalStack(env=env, logs=logs, predictor_port=predictor_port, api_port=api_port, ui_port=ui_port)
    console.rule(f"serving champion v{champion}")
    with stack:
        try:
            stack.start()
        except ServingError as exc:
            raise fail(str(exc)) from exc
        base, key = stack.api_url, api_key
        console.print(f"web UI (Streamlit):     {stack.ui_url}")
        console.print(f"facade (FastAPI):       {base}/docs   metrics: {base}/metrics")
        console.print(f"predictor (KServe v2):  {stack.predictor_url}/v2/models/soccer-1x2")
        console.print(f"API key for local use:  {key}   logs: {settings.home_dir / 'logs'}")
        console.print("try:")
        console.print(f"  curl -H 'X-API-Key: {key}' '{base}/predict/predictions/?limit=3'")
        console.print(f"  curl -H 'X-API-Key: {key}' {base}/predict/<match_id>")
        console.print(
            f"  curl -H 'X-API-Key: {key}' -H 'Content-Type: application/json' -d '[\"<match_id>\"]' "
            f"{base}/predict/async/"
        )
        if check:
            checks = check_endpoints(stack.api_url, stack.predictor_url, key, ui_url=stack.ui_url)
            table = Table(title="demo --check: every endpoint once")
            for column in ("", "endpoint", "status", "answer"):
                table.add_column(column, overflow="fold")
            for c in checks:
                table.add_row(
                    "[green]ok[/]" if c.ok else "[red]FAIL[/]", f"{c.name}: {c.method} {c.url}", str(c.status), c.detail
                )
            console.print(table)
            failed = [c for c in checks if not c.ok]
            console.print(f"{len(checks) - len(failed)} of {len(checks)} checks passed; stopping the services")
            if failed:
                raise typer.Exit(code=1)
            return
        console.print("[bold]serving; Ctrl-C stops everything[/]")
        signal.signal(signal.SIGTERM, signal.default_int_handler)  # `kill` stops the children too
        try:
            signal.pause()
        except KeyboardInterrupt:
            console.print("stopping")
