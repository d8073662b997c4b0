"""What the commands print: the two consoles, the --json result, errors and progress bars."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["console", "emit", "err_console", "fail", "progress_bars"]

#: What people read: tables, progress, notes. With --json it writes to stderr, leaving stdout to the JSON.
console = Console()
#: Errors, always on stderr.
err_console = Console(stderr=True, soft_wrap=True)


def emit(json_output: bool, data: Any, show: Callable[[], None]) -> None:
    """The command's result: ``data`` as one JSON document on stdout with --json, else ``show()`` for people."""
    if json_output:
        typer.echo(json.dumps(data, sort_keys=True, default=str))
    else:
        show()


def fail(message: str) -> typer.Exit:
    """Print ``message`` as an error on stderr; the exit (code 1) for the caller to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)


def progress_bars(width: int = 28) -> Progress:
    """A progress display on the console: description, bar, done of total, elapsed time."""
    return Progress(
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
