"""`soccerpredict params`: compose the Hydra configuration into the params file the stages read."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from soccerpredict.cli.options import Experiment
from soccerpredict.cli.output import console, fail
from soccerpredict.errors import SoccerPredictError

app = typer.Typer(help="Pipeline parameters (Hydra conf/ -> params.yaml).", no_args_is_help=True)


@app.command("compose")
def params_compose(
    experiment: Annotated[Experiment, typer.Option(help="conf/experiment/<name>.yaml.")] = Experiment.default,
    override: Annotated[list[str] | None, typer.Option(help="Hydra override, e.g. data.divisions=[E0]")] = None,
    out: Annotated[Path, typer.Option(help="Where to write the composed params.")] = Path("params.yaml"),
) -> None:
    """Compose conf/ with an experiment into params.yaml (what DVC and the stages read)."""
    from soccerpredict.params import compose_params, write_params

    try:
        write_params(compose_params(experiment.value, override or []), out)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{out}: experiment {experiment.value}")
