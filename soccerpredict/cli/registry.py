"""`soccerpredict registry`: the MLflow model registry's versions and the human decisions on them."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from soccerpredict.cli.context import load_settings
from soccerpredict.cli.options import JsonOutput, PromoteAlias
from soccerpredict.cli.output import console, emit, fail
from soccerpredict.errors import SoccerPredictError

app = typer.Typer(help="The MLflow model registry: versions, aliases, human decisions.", no_args_is_help=True)


@app.command("list")
def registry_list(json_output: JsonOutput = False) -> None:
    """Every registered version of soccer-1x2 with its aliases, run and rejection tag."""
    from soccerpredict.registry.promotion import list_versions

    settings = load_settings()
    try:
        versions = list_versions(settings.tracking_uri)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc

    def show() -> None:
        table = Table(title=f"soccer-1x2 in {settings.tracking_uri}")
        for column in ("version", "aliases", "created", "run", "rejected"):
            table.add_column(column)
        for v in versions:
            table.add_row(v["version"], ", ".join(v["aliases"]), v["created"], v["run_id"], v["rejected"] or "")
        console.print(table)

    emit(json_output, versions, show)


@app.command("promote")
def registry_promote(
    version: Annotated[str, typer.Option(help="Model version to act on.")],
    to: Annotated[PromoteAlias, typer.Option(help="Alias to point at the version.")] = PromoteAlias.champion,
    reject: Annotated[
        bool, typer.Option("--reject", help="Reject the version instead: never promoted automatically.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why (kept as the rejection tag).")] = "",
    force: Annotated[bool, typer.Option(help="Promote even a version that was rejected before.")] = False,
) -> None:
    """A human decision: force a version to champion (or candidate), or reject it.

    The predictor picks up a new champion on its next alias poll, or at once with
    POST /v2/repository/models/soccer-1x2/load.
    """
    from soccerpredict.registry.mlflow_log import use_tracking
    from soccerpredict.registry.promotion import alias_version, reject_version, set_alias

    use_tracking(load_settings().tracking_uri)
    try:
        if reject:
            reject_version(version, reason)
            console.print(f"version {version} rejected: it will not be promoted automatically")
            return
        previous = alias_version(to.value)
        set_alias(to.value, version, force=force)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    console.print(f"@{to.value}: version {version} (was {previous or 'unset'})")
