"""`soccerpredict ingest`: football-data CSVs, upcoming odds and WhoScored pages into the database."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from soccerpredict.cli.context import load_settings, open_engine, stamp
from soccerpredict.cli.options import JsonOutput, OddsSourceName, RejectionsOut, season_codes
from soccerpredict.cli.output import console, emit, fail, progress_bars
from soccerpredict.data.parsed import Rejection
from soccerpredict.errors import SoccerPredictError
from soccerpredict.settings import Settings

app = typer.Typer(help="Load match data into the database.", no_args_is_help=True)


@app.command("football-data")
def ingest_football_data(
    targets: Annotated[
        list[str],
        typer.Argument(help="CSV files, folders of <DIV>/<SEASON>.csv, or https://…/mmz4281/<SEASON>/<DIV>.csv URLs."),
    ],
    force: Annotated[bool, typer.Option(help="Re-load files whose checksum was already loaded.")] = False,
    rejections_out: RejectionsOut = None,
    json_output: JsonOutput = False,
) -> None:
    """Load football-data.co.uk CSVs (results, statistics, odds) with idempotent upserts."""
    if ingest_targets(targets, force=force, rejections_out=rejections_out, json_output=json_output).failed:
        raise typer.Exit(code=1)


@app.command("odds")
def ingest_odds(
    location: Annotated[
        str | None,
        typer.Argument(help="File or URL to read instead of the source's own (default: football-data's fixtures.csv)."),
    ] = None,
    source: Annotated[OddsSourceName, typer.Option(help="Odds source (pluggable).")] = (
        OddsSourceName.football_data_fixtures
    ),
    force: Annotated[bool, typer.Option(help="Re-load divisions whose checksum was already loaded.")] = False,
    rejections_out: RejectionsOut = None,
    json_output: JsonOutput = False,
) -> None:
    """Load upcoming fixtures with pre-match odds (one transaction per division); results are never overwritten."""
    from soccerpredict.data.ingest import ingest_odds as run_ingest_odds
    from soccerpredict.data.sources.odds import odds_source

    settings = load_settings()
    try:
        summary = run_ingest_odds(
            odds_source(source.value, location), open_engine(settings), force=force, timeout=settings.http_timeout
        )
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    for outcome in summary.failed:
        console.print(f"[red]failed[/] {outcome.ref.location}: {outcome.error}")
    _report(summary, rejections_out, settings, json_output=json_output)
    if summary.failed:
        raise typer.Exit(code=1)


def ingest_targets(targets: list[str], *, force: bool, rejections_out: Path | None, json_output: bool = False):  # type: ignore[no-untyped-def]
    """Ingest with a progress bar, write every rejection to a CSV, print the summary; return it."""
    from soccerpredict.data.ingest import ingest_football_data as run_ingest
    from soccerpredict.data.ingest import plan_football_data

    settings = load_settings()
    try:
        refs = plan_football_data(targets)
        engine = open_engine(settings)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    if not refs:
        raise fail(f"no CSV files found in {', '.join(targets)}")
    with progress_bars() as progress:
        task = progress.add_task("ingesting", total=len(refs))

        def advance(outcome):  # type: ignore[no-untyped-def]
            progress.update(task, advance=1, description=Path(outcome.ref.location).name)
            if outcome.error:
                progress.console.print(f"[red]{outcome.failure or 'failed'}[/] {outcome.ref.location}: {outcome.error}")

        summary = run_ingest(refs, engine, force=force, timeout=settings.http_timeout, on_file=advance)
    _report(summary, rejections_out, settings, json_output=json_output)
    return summary


@app.command("whoscored")
def ingest_whoscored(
    targets: Annotated[
        list[str],
        typer.Argument(
            help="Match-centre URLs (https://www.whoscored.com/Matches/<id>/Live/<Region>-<Tournament>-<YYYY>-"
            "<YYYY>-<Home>-<Away>), fixtures-feed URLs, or saved pages (.html/.json, optionally .gz)."
        ),
    ],
    div: Annotated[
        str | None, typer.Option(help="football-data division (e.g. E0) when the URL does not name the tournament.")
    ] = None,
    season: Annotated[
        str | None,
        typer.Option(
            help="football-data season code (e.g. 2021 for 2020/21); default from the URL or the date.",
            callback=season_codes,
        ),
    ] = None,
    min_interval: Annotated[
        float | None, typer.Option(help="Seconds between page loads (default SOCCER_SCRAPE_MIN_INTERVAL).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Re-load pages whose content was already loaded.")] = False,
    json_output: JsonOutput = False,
) -> None:
    """Scrape WhoScored match centres (and fixtures feeds) into the football-data tables, idempotently."""
    from soccerpredict.data.sources.browser import PageFetcher
    from soccerpredict.data.whoscored_ingest import ingest_whoscored as run_scrape

    settings = load_settings()
    try:
        engine = open_engine(settings)
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    with PageFetcher.from_settings(settings, min_interval=min_interval) as fetcher, progress_bars() as progress:
        task = progress.add_task("scraping", total=len(targets))

        def report(outcome):  # type: ignore[no-untyped-def]
            progress.update(task, advance=1)
            _print_scrape(progress.console, outcome)

        outcomes = run_scrape(targets, engine, fetcher=fetcher, div=div, season=season, force=force, on_target=report)
    failed = sum(not outcome.ok for outcome in outcomes)
    data = {"pages": {"loaded": len(outcomes) - failed, "failed": failed}, "outcomes": _scrape_data(outcomes)}
    emit(json_output, data, lambda: console.print(f"{len(outcomes) - failed} of {len(outcomes)} pages loaded"))
    if failed:
        raise typer.Exit(code=1)


def _scrape_data(outcomes) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Scrape outcomes as plain data: each page's loads, match lines, rejections and notes."""
    from dataclasses import asdict

    return [
        {
            "target": o.target,
            "kind": o.kind,
            "error": o.error,
            "results": [asdict(result) for result in o.results],
            "matches": o.matches,
            "rejections": [{"line": r.line, "reason": r.reason, "scope": r.scope} for r in o.rejections],
            "notes": o.notes,
        }
        for o in outcomes
    ]


def _print_scrape(out: Console, outcome) -> None:  # type: ignore[no-untyped-def]
    """One scraped page: its status and matches, then its rejections and notes."""
    if outcome.error:
        out.print(f"[red]failed[/] {outcome.target}: {outcome.error}")
        return
    for result in outcome.results:
        counts = (
            f"{result.matches_inserted} new, {result.matches_updated} updated, {result.matches_unchanged} unchanged"
        )
        out.print(f"{result.status} {result.source}: {counts}")
    for line in outcome.matches[:10]:
        out.print(f"  {line}")
    if len(outcome.matches) > 10:
        out.print(f"  … and {len(outcome.matches) - 10} more")
    for rejection in outcome.rejections:
        out.print(f"  [red]rejected[/] line {rejection.line}: {rejection.reason}")
    for note in outcome.notes:
        out.print(f"  [yellow]note[/] {note}")


def _write_rejections(rejections: list[Rejection], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["source", "line", "scope", "reason"])
        writer.writerows([r.source, r.line, r.scope, r.reason] for r in rejections)


#: The LoadResult counters an ingestion summary totals, with the label people read.
_COUNTERS = {
    "matches_inserted": "matches inserted",
    "matches_updated": "matches updated",
    "matches_unchanged": "matches unchanged",
    "odds_rows": "odds rows",
    "rows_rejected": "rows rejected",
    "odds_rejected": "odds triples rejected",
    "blank_rows": "blank rows skipped",
}


def _report(summary, rejections_out: Path | None, settings: Settings, *, json_output: bool) -> None:  # type: ignore[no-untyped-def]
    """Every rejection to a CSV (default: under SOCCER_HOME/reports), then the summary pointing at it."""
    path = rejections_out or settings.home_dir / "reports" / f"rejections-{stamp()}.csv"
    _write_rejections(summary.rejections(), path)
    data = _summary_data(summary, path)
    emit(json_output, data, lambda: _print_summary(data))


def _summary_data(summary, rejections_path: Path) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """An ingestion summary as plain data: file statuses, totals, rejections by rule, and each file's outcome."""
    statuses = summary.statuses()
    files = [
        {
            "location": o.ref.location,
            "div": o.ref.div,
            "season": o.ref.season,
            "status": o.result.status if o.ok and o.result else "failed",
            "error": o.error,
            **{counter: int(getattr(o.result, counter)) if o.result else 0 for counter in _COUNTERS},
        }
        for o in summary.outcomes
    ]
    return {
        "files": {status: statuses[status] for status in ("loaded", "unchanged", "failed")},
        "seconds": round(summary.seconds, 3),
        "totals": {counter: summary.total(counter) for counter in _COUNTERS},
        "rejections_by_rule": dict(summary.rejection_reasons().most_common()),
        "rejections_csv": str(rejections_path),
        "outcomes": files,
    }


def _print_summary(data: dict[str, Any]) -> None:
    files = data["files"]
    table = Table(title=f"ingestion: {len(data['outcomes'])} files in {data['seconds']:.1f} s", show_header=False)
    table.add_row("files loaded / unchanged / failed", f"{files['loaded']} / {files['unchanged']} / {files['failed']}")
    for counter, label in _COUNTERS.items():
        table.add_row(label, str(data["totals"][counter]))
    console.print(table)
    reasons = data["rejections_by_rule"]
    if reasons:
        console.print("rejections by rule (every one, with file and line, in the CSV below):")
        for reason, count in list(reasons.items())[:10]:
            console.print(f"  {count:>7}  {reason}")
        console.print(f"rejections: {data['rejections_csv']}")
