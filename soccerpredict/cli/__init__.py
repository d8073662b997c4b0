"""The ``soccerpredict`` command line: every user-facing job of the system.

One module per sub-app (``db``, ``ingest``, ``export``, ``params``, ``pipeline``, ``registry``, ``docs``) and
for the top-level jobs (``backtest``, ``predict`` and ``cards``, ``demo``; ``stage`` lives with ``pipeline``);
``output`` and ``options`` hold what they share. Heavy libraries are imported inside the commands, so ``--help``
stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from soccerpredict.cli import backtest, db, demo, docs, export, ingest, params, pipeline, predict, registry
from soccerpredict.cli.output import console, err_console
from soccerpredict.errors import SoccerPredictError

__all__ = ["app", "main"]

app = typer.Typer(
    help="SoccerPredict: football 1X2 prediction, from real match data to served, monitored models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# The order here is the order of `soccerpredict --help`: the top-level jobs, then the sub-apps.
app.command("backtest")(backtest.backtest)
app.command("predict")(predict.predict)
app.command("cards")(predict.cards)
app.command("demo")(demo.demo)
app.command("stage")(pipeline.stage)
app.add_typer(ingest.app, name="ingest")
app.add_typer(db.app, name="db")
app.add_typer(export.app, name="export")
app.add_typer(params.app, name="params")
app.add_typer(pipeline.app, name="pipeline")
app.add_typer(registry.app, name="registry")
app.add_typer(docs.app, name="docs")


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"soccerpredict {version('soccerpredict')}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    console.stderr = False  # commands without --json talk to people on stdout


def main() -> None:
    """Entry point: SoccerPredict's errors and the command line's become one line on stderr and a non-zero exit."""
    try:
        code = app(prog_name="soccerpredict", standalone_mode=False)
    except SoccerPredictError as exc:
        raise _exit_with(f"[bold red]error:[/] {exc}", 1) from exc
    except typer.Abort as exc:
        raise _exit_with("[bold red]aborted[/]", 1) from exc
    except typer.TyperException as exc:  # the command line's: an unknown choice, a bad season code, a missing option
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help is already printed
            raise SystemExit(getattr(exc, "exit_code", 2)) from exc
        ctx = getattr(exc, "ctx", None)
        hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        raise _exit_with(f"[bold red]error:[/] {escape(message)}{hint}", getattr(exc, "exit_code", 2)) from exc
    raise SystemExit(code or 0)


def _exit_with(line: str, code: int) -> SystemExit:
    err_console.print(line, highlight=False)
    return SystemExit(code)
