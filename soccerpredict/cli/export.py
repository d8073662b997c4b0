"""`soccerpredict export`: snapshots and reports to the object store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from soccerpredict.cli.context import load_settings, open_engine
from soccerpredict.cli.options import JsonOutput
from soccerpredict.cli.output import console, emit, fail
from soccerpredict.errors import SoccerPredictError

app = typer.Typer(help="Write snapshots to the object store.", no_args_is_help=True)


@app.command("raw")
def export_raw(
    day: Annotated[str | None, typer.Option("--date", help="Snapshot date (YYYY-MM-DD); default today (UTC).")] = None,
    json_output: JsonOutput = False,
) -> None:
    """Write a dated parquet snapshot of matches, statistics and odds to the object store."""
    from soccerpredict.data.export import export_raw as run_export
    from soccerpredict.data.store import ObjectStore

    settings = load_settings()
    try:
        when = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError as exc:
        raise fail(f"--date must be YYYY-MM-DD, got {day!r}") from exc
    try:
        snapshot = run_export(open_engine(settings), ObjectStore.from_settings(settings), day=when)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    data = {
        "day": when.isoformat(),
        "matches": snapshot.matches,
        "matches_uri": snapshot.matches_uri,
        "odds": snapshot.odds,
        "odds_uri": snapshot.odds_uri,
        "manifest_uri": snapshot.manifest_uri,
    }

    def show() -> None:
        console.print(f"{snapshot.matches} matches -> {snapshot.matches_uri}")
        console.print(f"{snapshot.odds} odds rows -> {snapshot.odds_uri}")
        console.print(f"manifest -> {snapshot.manifest_uri}")

    emit(json_output, data, show)


@app.command("file")
def export_file(
    path: Annotated[Path, typer.Argument(help="Local file to publish (a report, a JSON summary).")],
    key: Annotated[
        str, typer.Option(help="Key under the object store root, e.g. monitoring/data_quality/latest.json.")
    ],
) -> None:
    """Publish one file to the object store under a key (what the DAGs use to publish reports)."""
    from soccerpredict.data.store import ObjectStore

    if not path.is_file():
        raise fail(f"nothing to publish: {path} is not a file")
    try:
        url = ObjectStore.from_settings(load_settings()).write_bytes(key, path.read_bytes())
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    console.print(f"{path} -> {url}")
