"""The ``soccerpredict`` command line: every user-facing job of the system."""

from __future__ import annotations

import csv
import enum
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from soccerpredict.artifacts import ALIAS_CANDIDATE, ALIAS_CHAMPION
from soccerpredict.data.columns import is_season_code
from soccerpredict.data.parsed import Rejection
from soccerpredict.errors import SoccerPredictError
from soccerpredict.settings import Settings

if TYPE_CHECKING:  # the study imports numpy and pandas: only the backtest command loads it
    from serving.ui.errors import UiError
    from soccerpredict.models.study import StudyProgress

app = typer.Typer(
    help="SoccerPredict: football 1X2 prediction, from real match data to served, monitored models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
ingest_app = typer.Typer(help="Load match data into the database.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema and ingestion log.", no_args_is_help=True)
export_app = typer.Typer(help="Write snapshots to the object store.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(db_app, name="db")
app.add_typer(export_app, name="export")
params_app = typer.Typer(help="Pipeline parameters (Hydra conf/ -> params.yaml).", no_args_is_help=True)
pipeline_app = typer.Typer(help="The training pipeline under DVC and Kubeflow Pipelines.", no_args_is_help=True)
app.add_typer(params_app, name="params")
app.add_typer(pipeline_app, name="pipeline")
registry_app = typer.Typer(help="The MLflow model registry: versions, aliases, human decisions.", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
docs_app = typer.Typer(help="The docs site's generated reference pages (API, stages).", no_args_is_help=True)
app.add_typer(docs_app, name="docs")

#: What people read: tables, progress, notes. With --json it writes to stderr, leaving stdout to the JSON.
console = Console()
#: Errors, always on stderr.
err_console = Console(stderr=True, soft_wrap=True)


class LocalRunner(enum.StrEnum):
    """Where `pipeline run --local` runs each component."""

    subprocess = "subprocess"
    docker = "docker"


# The choices below mirror their homes (MODEL_NAMES, TRACKS, FEATURE_GROUPS, conf/experiment/, ODDS_SOURCES)
# without importing them, so `--help` stays fast; tests/unit/test_cli_choices.py checks they agree.
class Model(enum.StrEnum):
    """`backtest --model`: soccerpredict.models.estimators.MODEL_NAMES."""

    logreg = "logreg"
    hgb = "hgb"
    xgb = "xgb"


class Track(enum.StrEnum):
    """`backtest --tracks`: soccerpredict.features.build.TRACKS."""

    stats_only = "stats_only"
    market_aware = "market_aware"


class FeatureGroupName(enum.StrEnum):
    """`backtest --drop-groups`: soccerpredict.features.build.FEATURE_GROUPS."""

    elo = "elo"
    pi = "pi"
    goals_model = "goals_model"
    shots_model = "shots_model"
    form = "form"
    h2h = "h2h"
    rest = "rest"
    market = "market"


class Experiment(enum.StrEnum):
    """conf/experiment/<name>.yaml."""

    smoke = "smoke"
    default = "default"
    test = "test"
    full = "full"
    cluster = "cluster"


class OddsSourceName(enum.StrEnum):
    """`ingest odds --source`: soccerpredict.data.sources.odds.ODDS_SOURCES."""

    football_data_fixtures = "football-data-fixtures"


class PromoteAlias(enum.StrEnum):
    """`registry promote --to`: the aliases a human may set."""

    champion = ALIAS_CHAMPION
    candidate = ALIAS_CANDIDATE


def _set_json_mode(enabled: bool) -> bool:
    # An option callback runs before the command body, so the progress bars and tables printed on the way
    # already go to stderr; it runs with False too, which resets the console between invocations.
    console.stderr = enabled
    return enabled


JsonOutput = Annotated[
    bool,
    typer.Option(
        "--json",
        callback=_set_json_mode,
        help="Print the result as one JSON document on stdout (stable keys); what people read goes to stderr.",
    ),
]


RejectionsOut = Annotated[
    Path | None, typer.Option(help="CSV file for every rejected row (default: under SOCCER_HOME/reports).")
]


def _emit(json_output: bool, data: Any, show: Callable[[], None]) -> None:
    """The command's result: ``data`` as one JSON document on stdout with --json, else ``show()`` for people."""
    if json_output:
        typer.echo(json.dumps(data, sort_keys=True, default=str))
    else:
        show()


def _one_of(choices: type[enum.StrEnum], what: str) -> Callable[[str | None], str | None]:
    """An option callback: a comma separated list whose items are all ``choices``, checked before any work."""

    def check(value: str | None) -> str | None:
        unknown = [item for item in _split(value) if item not in set(choices)]
        if unknown:
            raise typer.BadParameter(f"unknown {what} {', '.join(unknown)}; choose from {_names(choices)}")
        return value

    return check


def _names(choices: type[enum.StrEnum]) -> str:
    return ", ".join(member.value for member in choices)


def _split(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def _season_codes(value: str | None) -> str | None:
    """An option callback: every comma separated item is a football-data season code such as ``2324``."""
    wrong = [code for code in _split(value) if not is_season_code(code)]
    if wrong:
        raise typer.BadParameter(
            f"{', '.join(repr(code) for code in wrong)} is not a season code: expected the last two digits of the "
            "start and end years, e.g. 2324 for 2023/24 (9900 for 1999/2000)"
        )
    return value


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


DEFAULT_SAMPLE = Path("data/sample/football-data")


def _settings() -> Settings:
    return Settings()


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code=1)


def _engine(settings: Settings):  # type: ignore[no-untyped-def]
    from soccerpredict.data.db import create_db_engine, migrate

    settings.home_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    return create_db_engine(settings.database_url)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema to the latest migration."""
    from soccerpredict.data.db import migrate, redact_url

    settings = _settings()
    settings.home_dir.mkdir(parents=True, exist_ok=True)
    migrate(settings.database_url)
    console.print(f"database at head: {redact_url(settings.database_url)}")


@db_app.command("report")
def db_report(
    limit: Annotated[int, typer.Option(help="How many recent ingestions to show.")] = 20,
    json_output: JsonOutput = False,
) -> None:
    """Show the ingestion log: every file tried, its outcome, rows loaded and rejected, and why it failed."""
    from soccerpredict.data.repository import ingestion_report

    log = ingestion_report(_engine(_settings())).tail(limit)
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

    _emit(json_output, rows, show)


@ingest_app.command("football-data")
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
    if _ingest(targets, force=force, rejections_out=rejections_out, json_output=json_output).failed:
        raise typer.Exit(code=1)


@ingest_app.command("odds")
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

    settings = _settings()
    try:
        summary = run_ingest_odds(
            odds_source(source.value, location), _engine(settings), force=force, timeout=settings.http_timeout
        )
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    for outcome in summary.failed:
        console.print(f"[red]failed[/] {outcome.ref.location}: {outcome.error}")
    _report(summary, rejections_out, settings, json_output=json_output)
    if summary.failed:
        raise typer.Exit(code=1)


def _ingest(targets: list[str], *, force: bool, rejections_out: Path | None, json_output: bool = False):  # type: ignore[no-untyped-def]
    """Ingest with a progress bar, write every rejection to a CSV, print the summary; return it."""
    from soccerpredict.data.ingest import ingest_football_data as run_ingest
    from soccerpredict.data.ingest import plan_football_data

    settings = _settings()
    try:
        refs = plan_football_data(targets)
        engine = _engine(settings)
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    if not refs:
        raise _fail(f"no CSV files found in {', '.join(targets)}")
    with _progress() as progress:
        task = progress.add_task("ingesting", total=len(refs))

        def advance(outcome):  # type: ignore[no-untyped-def]
            progress.update(task, advance=1, description=Path(outcome.ref.location).name)
            if outcome.error:
                progress.console.print(f"[red]{outcome.failure or 'failed'}[/] {outcome.ref.location}: {outcome.error}")

        summary = run_ingest(refs, engine, force=force, timeout=settings.http_timeout, on_file=advance)
    _report(summary, rejections_out, settings, json_output=json_output)
    return summary


@ingest_app.command("whoscored")
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
            callback=_season_codes,
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

    settings = _settings()
    try:
        engine = _engine(settings)
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    with PageFetcher.from_settings(settings, min_interval=min_interval) as fetcher, _progress() as progress:
        task = progress.add_task("scraping", total=len(targets))

        def report(outcome):  # type: ignore[no-untyped-def]
            progress.update(task, advance=1)
            _print_scrape(progress.console, outcome)

        outcomes = run_scrape(targets, engine, fetcher=fetcher, div=div, season=season, force=force, on_target=report)
    failed = sum(not outcome.ok for outcome in outcomes)
    data = {"pages": {"loaded": len(outcomes) - failed, "failed": failed}, "outcomes": _scrape_data(outcomes)}
    _emit(json_output, data, lambda: console.print(f"{len(outcomes) - failed} of {len(outcomes)} pages loaded"))
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


def _progress(width: int = 28) -> Progress:
    return Progress(
        TextColumn(f"{{task.description:<{width}}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


class _StageProgress:
    """The display of a pipeline run: stage n/22, its name and how long it has been running, on one bar."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, number: int, total: int, name: str) -> None:
        """Stage ``number`` of ``total`` starts (pipelines.sequential's ``on_start``)."""
        description = f"stage {number}/{total} {name}"
        if self._task is None:
            self._task = self._progress.add_task(description, total=total, completed=number - 1)
        else:  # reset restarts the clock: the elapsed time shown is the stage's own
            self._progress.reset(self._task, total=total, completed=number - 1, description=description)

    def finish(self, summary: dict[str, Any]) -> None:
        """A stage has finished (pipelines.sequential's ``on_stage``)."""
        if self._task is not None:
            self._progress.advance(self._task)


def _stage_progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(), console=console, transient=False
    )


def _run_stages(params: dict[str, Any], workdir: Path) -> list[dict[str, Any]]:
    """Every stage of the table in this process, under a stage n/22 display; the stages' summaries."""
    from pipelines.sequential import run_sequential

    with _stage_progress() as progress:
        shown = _StageProgress(progress)
        return run_sequential(params, workdir, on_start=shown.start, on_stage=shown.finish)


class _StudyBars:
    """The display of a backtest (a :class:`~soccerpredict.models.study.StudyProgress` stream): one bar per
    forecaster over the test seasons, labelled with the season it last predicted; other steps as lines."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self.bars: dict[str, TaskID] = {}

    def __call__(self, step: StudyProgress) -> None:
        if step.step != "walk_forward" or step.forecaster is None:
            self._progress.console.print(step.message, highlight=False)
            return
        if step.forecaster not in self.bars:
            self.bars[step.forecaster] = self._progress.add_task(step.forecaster, total=step.total)
        label = f"{step.forecaster} {step.season}" if step.season else step.forecaster
        self._progress.update(self.bars[step.forecaster], completed=step.done, total=step.total, description=label)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


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
    path = rejections_out or settings.home_dir / "reports" / f"rejections-{_stamp()}.csv"
    _write_rejections(summary.rejections(), path)
    data = _summary_data(summary, path)
    _emit(json_output, data, lambda: _print_summary(data))


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


@export_app.command("raw")
def export_raw(
    day: Annotated[str | None, typer.Option("--date", help="Snapshot date (YYYY-MM-DD); default today (UTC).")] = None,
    json_output: JsonOutput = False,
) -> None:
    """Write a dated parquet snapshot of matches, statistics and odds to the object store."""
    from soccerpredict.data.export import export_raw as run_export
    from soccerpredict.data.store import ObjectStore

    settings = _settings()
    try:
        when = date.fromisoformat(day) if day else datetime.now(UTC).date()
    except ValueError as exc:
        raise _fail(f"--date must be YYYY-MM-DD, got {day!r}") from exc
    try:
        snapshot = run_export(_engine(settings), ObjectStore.from_settings(settings), day=when)
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
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

    _emit(json_output, data, show)


@export_app.command("file")
def export_file(
    path: Annotated[Path, typer.Argument(help="Local file to publish (a report, a JSON summary).")],
    key: Annotated[
        str, typer.Option(help="Key under the object store root, e.g. monitoring/data_quality/latest.json.")
    ],
) -> None:
    """Publish one file to the object store under a key (what the DAGs use to publish reports)."""
    from soccerpredict.data.store import ObjectStore

    if not path.is_file():
        raise _fail(f"nothing to publish: {path} is not a file")
    try:
        url = ObjectStore.from_settings(_settings()).write_bytes(key, path.read_bytes())
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"{path} -> {url}")


@app.command("backtest")
def backtest(
    seasons: Annotated[
        str,
        typer.Option(
            help="Test seasons, comma separated football-data codes (2324 is 2023/24).", callback=_season_codes
        ),
    ] = "2223,2324",
    divisions: Annotated[
        str | None, typer.Option(help="Comma separated divisions (default: every division in the database).")
    ] = None,
    tracks: Annotated[
        str,
        typer.Option(
            help=f"Tracks, comma separated: {_names(Track)}.", callback=_one_of(Track, "track"), show_default=True
        ),
    ] = "stats_only,market_aware",
    model: Annotated[
        Model,
        typer.Option(
            help="Default parameters of models/estimators.py; xgb starts from the pre-match odds on the "
            "market-aware track."
        ),
    ] = Model.xgb,
    train_from: Annotated[
        str | None,
        typer.Option(
            help="First training season (e.g. 1516); older seasons only warm up ratings and form.",
            callback=_season_codes,
        ),
    ] = None,
    drop_groups: Annotated[
        str | None,
        typer.Option(
            help=f"Feature groups to leave out (ablation), comma separated: {_names(FeatureGroupName)}.",
            callback=_one_of(FeatureGroupName, "feature group"),
        ),
    ] = None,
    tune_trials: Annotated[
        int,
        typer.Option(
            min=0,
            help="Optuna trials to tune the model before each test season (log-loss on the season before it); "
            "0 keeps the default parameters.",
        ),
    ] = 0,
    n_boot: Annotated[int, typer.Option(help="Bootstrap resamples per confidence interval.")] = 1000,
    out: Annotated[
        Path | None, typer.Option(help="Report folder (default: SOCCER_HOME/reports/backtest-<time>).")
    ] = None,
    json_output: JsonOutput = False,
) -> None:
    """Walk-forward backtest of both tracks, the baselines and the closing market, per division and season.

    Reads the matches already in the database (load them with `soccerpredict ingest football-data`).
    Writes backtest.md, by_group.csv, predictions.parquet, goals.json and the plots backtest.md embeds (PNG,
    each with its data as CSV; the permutation importance is that of each track's final model, the one
    trained for the last test season, on that season); exits 0 whether or not the quality goals are met (the
    report says which are). With --json it prints goals.json with the report's path.
    """
    import sys

    import pandas as pd

    from soccerpredict.data.repository import load_match_frame
    from soccerpredict.models.plots import plots_markdown, write_backtest_plots, write_importance_plot
    from soccerpredict.models.study import StudyConfig, render_study_markdown, run_study

    settings = _settings()
    config = StudyConfig(
        seasons=tuple(_split(seasons)),
        tracks=tuple(_split(tracks)),
        model=model.value,
        train_from=train_from,
        drop_groups=tuple(_split(drop_groups)),
        n_boot=n_boot,
        tune_trials=tune_trials,
    )
    try:
        engine = _engine(settings)
        selected = _check_divisions(engine, _split(divisions))
        frame = load_match_frame(engine, divisions=selected or None)
        _check_seasons(frame, list(config.seasons))
        console.print(f"{len(frame):,} matches from the database")
        with _progress(width=34) as progress:
            result = run_study(frame, config, progress=_StudyBars(progress))
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    folder = out or settings.home_dir / "reports" / f"backtest-{_stamp()}"
    folder.mkdir(parents=True, exist_ok=True)
    command = "soccerpredict " + " ".join(sys.argv[1:])
    tracks_predictions = {
        name.removeprefix("model:"): preds for name, preds in result.predictions.items() if name.startswith("model:")
    }
    plots = write_backtest_plots(tracks_predictions, result.market, folder, n_boot=n_boot, seed=config.seed)
    plots += [write_importance_plot(rows, folder, stem=f"importance_{t}") for t, rows in result.importance.items()]
    markdown = render_study_markdown(result, command=command) + "\n".join(["", "## Plots", "", *plots_markdown(plots)])
    (folder / "backtest.md").write_text(markdown)
    result.by_group.to_csv(folder / "by_group.csv", index=False)
    predictions = [preds.assign(forecaster=name) for name, preds in result.predictions.items()]
    pd.concat(predictions, ignore_index=True).to_parquet(folder / "predictions.parquet")
    goals = {"goals": result.goals, "leaks": result.leaks, "tuned": result.tuned}
    (folder / "goals.json").write_text(json.dumps(goals, indent=2))
    _emit(json_output, {**goals, "report": str(folder / "backtest.md")}, lambda: _print_goals(result, folder))


def _check_divisions(engine, divisions: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The divisions asked for, when all are in the database; an error naming the ones that are otherwise."""
    from soccerpredict.data.repository import division_counts

    counts = division_counts(engine)
    if not counts:
        raise _fail("no matches in the database; run `soccerpredict ingest football-data PATH` first")
    unknown = [d for d in divisions if d not in counts]
    if unknown:
        known = ", ".join(f"{div} ({n:,} matches)" for div, n in counts.items())
        raise _fail(f"division(s) {', '.join(unknown)} not in the database; it has {known}")
    return divisions


def _check_seasons(frame, seasons: list[str]) -> None:  # type: ignore[no-untyped-def]
    """An error naming the seasons the database has when one asked for is not among them."""
    from soccerpredict.data.columns import season_start_year

    present = set(frame["season"])
    missing = [s for s in seasons if s not in present]
    if missing:
        ordered = sorted(present, key=season_start_year)
        span = f"{len(ordered)} seasons, {ordered[0]} to {ordered[-1]}" if len(ordered) > 6 else ", ".join(ordered)
        raise _fail(f"season(s) {', '.join(missing)} not in the database for these divisions; it has {span}")


def _print_goals(result, folder: Path) -> None:  # type: ignore[no-untyped-def]
    table = Table(title="quality goals")
    for column in ("track", "model RPS", "market RPS", "RPS - market [95% CI]", "met"):
        table.add_column(column)
    for goal in result.goals:
        ci = f"{goal['rps_diff']:+.4f} [{goal['rps_diff_lo']:+.4f}, {goal['rps_diff_hi']:+.4f}]"
        met = "yes" if goal["met"] else f"no, short by {goal['short_by']:.4f}"
        table.add_row(goal["track"], f"{goal['rps']:.4f}", f"{goal['market_rps_paired']:.4f}", ci, met)
    console.print(table)
    for warning in result.leaks:
        console.print(f"[bold yellow]leak check:[/] {warning}")
    console.print(f"report: {folder / 'backtest.md'}")


@registry_app.command("list")
def registry_list(json_output: JsonOutput = False) -> None:
    """Every registered version of soccer-1x2 with its aliases, run and rejection tag."""
    from soccerpredict.registry.promotion import list_versions

    settings = _settings()
    try:
        versions = list_versions(settings.tracking_uri)
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc

    def show() -> None:
        table = Table(title=f"soccer-1x2 in {settings.tracking_uri}")
        for column in ("version", "aliases", "created", "run", "rejected"):
            table.add_column(column)
        for v in versions:
            table.add_row(v["version"], ", ".join(v["aliases"]), v["created"], v["run_id"], v["rejected"] or "")
        console.print(table)

    _emit(json_output, versions, show)


@registry_app.command("promote")
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

    use_tracking(_settings().tracking_uri)
    try:
        if reject:
            reject_version(version, reason)
            console.print(f"version {version} rejected: it will not be promoted automatically")
            return
        previous = alias_version(to.value)
        set_alias(to.value, version, force=force)
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    console.print(f"@{to.value}: version {version} (was {previous or 'unset'})")


ApiUrl = Annotated[
    str | None, typer.Option("--api-url", help="The facade's URL (default: SOCCER_UI_API_URL).", show_default=False)
]
ApiKey = Annotated[
    str | None,
    typer.Option("--api-key", help="An API key of the facade (default: SOCCER_UI_API_KEY).", show_default=False),
]


def _facade(api_url: str | None, api_key: str | None):  # type: ignore[no-untyped-def]
    from serving.ui.client import FacadeClient

    return FacadeClient.from_settings(_settings(), base_url=api_url, api_key=api_key or None)


def _facade_error(error: UiError, api_url: str) -> str:
    """What went wrong talking to the facade, and what to do (the web UI's messages, for a terminal)."""
    from serving.ui.errors import (
        FacadeUnreachableError,
        KeyRefusedError,
        NoChampionError,
        NotFoundError,
        NotPublishedError,
    )

    if isinstance(error, FacadeUnreachableError):
        return f"the facade at {api_url} does not answer: start it with `make run`, or pass --api-url"
    if isinstance(error, KeyRefusedError):
        return f"the facade at {api_url} refused the API key: pass --api-key or set SOCCER_UI_API_KEY"
    if isinstance(error, NotPublishedError):
        return "nothing published yet: run the training pipeline (`make run` or `soccerpredict demo`)"
    if isinstance(error, NoChampionError):
        return "no champion model yet: train and promote one (`make run`)"
    if isinstance(error, NotFoundError):
        return f"unknown match: {error.detail or error}"
    return str(error)


@app.command("predict")
def predict(
    match_ids: Annotated[list[str], typer.Argument(help="Match ids (as in `soccerpredict cards`).")],
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    json_output: JsonOutput = False,
) -> None:
    """The served model's home/draw/away probabilities of each match, through the facade's GET /predict/{id}.

    Exits with 1 when any match could not be predicted (each failure is reported; the others are printed).
    """
    from serving.ui.errors import UiError

    predictions: list[dict[str, Any]] = []
    errors: list[dict[str, str]] = []
    with _facade(api_url, api_key) as client:
        for match_id in match_ids:
            try:
                predictions.append(client.predict(match_id).model_dump())
            except UiError as exc:
                errors.append({"match_id": match_id, "error": _facade_error(exc, client.base_url)})
        base_url = client.base_url

    def show() -> None:
        if predictions:
            table = Table(title=f"predictions from {base_url}")
            for column in ("match", "home", "draw", "away", "model version", "source"):
                table.add_column(column, justify="right" if column in ("home", "draw", "away") else "left")
            for p in predictions:
                table.add_row(
                    p["match_id"],
                    *(f"{100 * p[k]:.1f}%" for k in ("p_home", "p_draw", "p_away")),
                    p["model_version"],
                    p["source"],
                )
            console.print(table)

    _emit(json_output, {"predictions": predictions, "errors": errors}, show)
    for error in errors:
        err_console.print(f"[bold red]error:[/] {escape(error['match_id'])}: {escape(error['error'])}", highlight=False)
    if errors:
        raise typer.Exit(code=1)


@app.command("cards")
def cards(
    division: Annotated[
        list[str] | None, typer.Option("--division", help="Only these divisions (repeat the option); default all.")
    ] = None,
    on: Annotated[
        datetime | None, typer.Option("--date", formats=["%Y-%m-%d"], help="Only matches on this day.")
    ] = None,
    date_from: Annotated[
        datetime | None, typer.Option("--from", formats=["%Y-%m-%d"], help="Only matches on or after this day.")
    ] = None,
    date_to: Annotated[
        datetime | None, typer.Option("--to", formats=["%Y-%m-%d"], help="Only matches on or before this day.")
    ] = None,
    api_url: ApiUrl = None,
    api_key: ApiKey = None,
    json_output: JsonOutput = False,
) -> None:
    """The published prediction cards (the web UI's Matches page): model and market probabilities per match."""
    from serving.ui.errors import UiError
    from serving.ui.views import card_rows, filter_rows

    start, end = on or date_from, on or date_to
    first, last = (start.date() if start else None), (end.date() if end else None)
    with _facade(api_url, api_key) as client:
        base_url = client.base_url
        try:
            published = [card.model_dump(mode="json") for card in client.cards()]
        except UiError as exc:
            raise _fail(_facade_error(exc, client.base_url)) from exc
    rows = filter_rows(card_rows(published), divisions=division or None, date_from=first, date_to=last)
    by_id = {card.get("match_id"): card for card in published}
    selected = [by_id[row.match_id] for row in rows]  # the table's order: kick-off, then match id

    def show() -> None:
        if not rows:
            err_console.print(f"no cards match (published: {len(published)})")
            return
        out = Table(title=f"{len(rows)} of {len(published)} cards from {base_url}")
        for column in ("kick-off", "div", "match (id)", "model H/D/A%", "market H/D/A%"):
            out.add_column(column, no_wrap=column != "match (id)", overflow="fold")
        for row in rows:
            kickoff = " ".join(x for x in (row.date.isoformat() if row.date else None, row.kickoff_time) if x)
            triples = [" / ".join(f"{100 * p:.0f}" for p in t) if t else "—" for t in (row.model, row.market)]
            match = f"{escape(row.home_team)} – {escape(row.away_team)}\n[dim]{escape(row.match_id)}[/]"
            out.add_row(kickoff or "—", row.division or "—", match, *triples)
        console.print(out)

    _emit(json_output, selected, show)


@app.command("demo")
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
        raise _fail(f"{data} does not exist: run from the repository root or pass --data FOLDER")
    settings = _settings()
    summary = _ingest([str(data)], force=False, rejections_out=None)
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
        raise _fail(
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
        _run_stages(params, folder / "artifacts")
    except SoccerPredictError as exc:
        raise _fail(f"{exc}\n(artifacts of the stages that finished: {folder / 'artifacts'})") from exc
    return _champion()


def _demo_key(settings: Settings) -> str | None:
    return settings.api_keys[0].get_secret_value() if settings.api_keys else None


def _demo_serve(settings: Settings, champion: str, *, api_key: str, check: bool) -> None:
    """Start predictor, facade and worker; print how to call them; check every endpoint or wait for Ctrl-C."""
    import json
    import signal

    from serving.stack import LocalStack, check_endpoints, free_port
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
            raise _fail(str(exc)) from exc
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


@params_app.command("compose")
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
        raise _fail(str(exc)) from exc
    console.print(f"{out}: experiment {experiment.value}")


@app.command("stage")
def stage(
    name: Annotated[str, typer.Argument(help="Stage name (see `soccerpredict pipeline stages`).")],
    workdir: Annotated[Path, typer.Option(help="Folder of the pipeline's artifacts.")] = Path("artifacts"),
    params: Annotated[Path, typer.Option(help="Composed params file.")] = Path("params.yaml"),
) -> None:
    """Run one pipeline stage over files in the work folder (what dvc.yaml calls)."""
    from components.stage import run_stage_function
    from components.stages import stage_by_name
    from soccerpredict.params import load_params

    try:
        spec = stage_by_name(name)
        paths = {n: workdir / n for n in [*spec.inputs.values(), *spec.outputs.values()]}
        run_stage_function(spec, paths=paths, params=load_params(params))
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc


@pipeline_app.command("stages")
def pipeline_stages(json_output: JsonOutput = False) -> None:
    """List the stages in order with their inputs and outputs."""
    from components.stages import STAGES

    stages: list[dict[str, Any]] = [
        {
            "number": number,
            "name": spec.name,
            "reads": list(spec.inputs.values()),
            "writes": list(spec.outputs.values()),
            "params": list(spec.params),
        }
        for number, spec in enumerate(STAGES, start=1)
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

    _emit(json_output, stages, show)


@pipeline_app.command("dvc-yaml")
def pipeline_dvc_yaml(out: Annotated[Path, typer.Option(help="Where to write it.")] = Path("dvc.yaml")) -> None:
    """Regenerate dvc.yaml from the stage table."""
    from pipelines.dvc import write_dvc_yaml

    console.print(f"wrote {write_dvc_yaml(out)}")


@pipeline_app.command("compile")
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
        raise _fail(str(exc)) from exc
    console.print(f"compiled {path}")


@pipeline_app.command("run")
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
            data = {"artifacts": str(workdir), "stages": _run_stages(loaded, workdir)}
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc
    _emit(json_output, data, lambda: console.print(f"pipeline finished; artifacts under {data['artifacts']}"))


@pipeline_app.command("submit")
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
        raise _fail(str(exc)) from exc

    def show() -> None:
        verb = "created pipeline" if done.pipeline_created else "pipeline"
        console.print(f"{verb} {done.pipeline_id}, version {done.version_name!r} ({done.version_id})")
        console.print(f"started run {done.run_id} ({done.run_name!r}) in experiment {done.experiment!r} on {host}")

    _emit(json_output, asdict(done), show)


@pipeline_app.command("should-retrain")
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

    settings = _settings()
    try:
        use_tracking(settings.tracking_uri)
        champion = champion_registered_at()
        decision = decide_retrain(
            champion_version=champion[0] if champion else None,
            new_matches=finished_since(_engine(settings), champion[1] if champion else None),
            drifted_share=published_drift_share(ObjectStore.from_settings(settings)),
            min_new_matches=min_new_matches,
            max_drifted_share=max_drifted_share,
        )
    except SoccerPredictError as exc:
        raise _fail(str(exc)) from exc

    def show() -> None:
        for reason in decision.reasons or ["nothing new enough to retrain on"]:
            console.print(f"{'retrain' if decision.retrain else 'keep'}: {reason}", highlight=False)

    _emit(json_output, asdict(decision), show)


@docs_app.command("generate")
def docs_generate(
    out: Annotated[Path, typer.Option(help="The docs folder (MkDocs docs_dir).")] = Path("docs"),
) -> None:
    """Regenerate docs/reference/ (api.md and openapi.json from the facade, stages.md from the stage table)."""
    from soccerpredict.reference_docs import write_reference_docs

    for path in write_reference_docs(out):
        console.print(f"wrote {path}")


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
