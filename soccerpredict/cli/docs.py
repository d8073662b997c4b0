"""`soccerpredict docs`: the docs site's generated reference pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from soccerpredict.cli.output import console

app = typer.Typer(help="The docs site's generated reference pages (API, stages).", no_args_is_help=True)


@app.command("generate")
def docs_generate(
    out: Annotated[Path, typer.Option(help="The docs folder (MkDocs docs_dir).")] = Path("docs"),
) -> None:
    """Regenerate docs/reference/ (api.md and openapi.json from the facade, stages.md from the stage table)."""
    from soccerpredict.reference_docs import write_reference_docs

    for path in write_reference_docs(out):
        console.print(f"wrote {path}")
