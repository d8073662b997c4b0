"""`soccerpredict db`: the database schema and the ingestion log."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from soccerpredict.cli.context import load_settings, open_engine
from soccerpredict.cli.options import JsonOutput
from soccerpredict.cli.output import console, emit

app = typer.Typer(help="Database schema and ingestion log.", no_args_is_help=True)


@app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from soccerpredict.data.db import migrate, redact_url

    settings = load_settings()
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    console.print(f"database at head: {redact_url(settings.database_url)}")


@app.command("report")
def db_report(
    limit: Annotated[int, typer.Option(help="How many recent ingestions to show.")] = 20,
    json_output: JsonOutput = False,
) -> None:
    """Show the ingestion log: every file tried, its outcome, rows loaded and rejected, and why it failed."""
    from soccerpredict.data.repository import ingestion_report

    log = ingestion_report(open_engine(load_settings())).tail(limit)
    rows: list[dict[str, Any]] = [
        {
            "finished_at": row["finished_at"].isoformat(),
            "source": str(row["source"]),
            "div": row["div"] if isinstance(row["div"], str) else None,
            "season": row["season"] if isinstance(row["season"], str) else None,
            "outcome": str(row["outcome"]),
            "rows_loaded": int(row["rows_loaded"]),
            "rows_rejected": int(row["rows_rejected"]),
            "odds_rejected": int(row["odds_rejected"]),
            "error": row["error"] if isinstance(row["error"], str) else None,
        }
        for row in log.to_dict("records")
    ]

    def show() -> None:
        table = Table("finished", "source", "outcome", "loaded", "rejected", "odds rejected", "error")
        for row in rows:
            table.add_row(
                row["finished_at"],
                Text(row["source"]),  # Text: a path or message with [brackets] is not console markup
                row["outcome"],
                str(row["rows_loaded"]),
                str(row["rows_rejected"]),
                str(row["odds_rejected"]),
                Text(row["error"] or ""),
            )
        console.print(table)

    emit(json_output, rows, show)
