"""`soccerpredict backtest`: the walk-forward study of both tracks against the market, written as a report."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from soccerpredict.cli.context import load_settings, open_engine, stamp
from soccerpredict.cli.options import (
    FeatureGroupName,
    JsonOutput,
    Model,
    Track,
    names,
    one_of,
    season_codes,
    split,
)
from soccerpredict.cli.output import console, emit, fail, progress_bars
from soccerpredict.cli.progress import StudyBars
from soccerpredict.errors import SoccerPredictError


def backtest(
    seasons: Annotated[
        str,
        typer.Option(
            help="Test seasons, comma separated football-data codes (2324 is 2023/24).", callback=season_codes
        ),
    ] = "2223,2324",
    divisions: Annotated[
        str | None, typer.Option(help="Comma separated divisions (default: every division in the database).")
    ] = None,
    tracks: Annotated[
        str,
        typer.Option(
            help=f"Tracks, comma separated: {names(Track)}.", callback=one_of(Track, "track"), show_default=True
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
            callback=season_codes,
        ),
    ] = None,
    drop_groups: Annotated[
        str | None,
        typer.Option(
            help=f"Feature groups to leave out (ablation), comma separated: {names(FeatureGroupName)}.",
            callback=one_of(FeatureGroupName, "feature group"),
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
    from soccerpredict.models.study import StudyConfig, run_study
    from soccerpredict.models.study_report import render_study_markdown

    settings = load_settings()
    config = StudyConfig(
        seasons=tuple(split(seasons)),
        tracks=tuple(split(tracks)),
        model=model.value,
        train_from=train_from,
        drop_groups=tuple(split(drop_groups)),
        n_boot=n_boot,
        tune_trials=tune_trials,
    )
    try:
        engine = open_engine(settings)
        selected = _check_divisions(engine, split(divisions))
        frame = load_match_frame(engine, divisions=selected or None)
        _check_seasons(frame, list(config.seasons))
        console.print(f"{len(frame):,} matches from the database")
        with progress_bars(width=34) as progress:
            result = run_study(frame, config, progress=StudyBars(progress))
    except SoccerPredictError as exc:
        raise fail(str(exc)) from exc
    folder = out or settings.home_dir / "reports" / f"backtest-{stamp()}"
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
    emit(json_output, {**goals, "report": str(folder / "backtest.md")}, lambda: _print_goals(result, folder))


def _check_divisions(engine, divisions: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """The divisions asked for, when all are in the database; an error naming the ones that are otherwise."""
    from soccerpredict.data.repository import division_counts

    counts = division_counts(engine)
    if not counts:
        raise fail("no matches in the database; run `soccerpredict ingest football-data PATH` first")
    unknown = [d for d in divisions if d not in counts]
    if unknown:
        known = ", ".join(f"{div} ({n:,} matches)" for div, n in counts.items())
        raise fail(f"division(s) {', '.join(unknown)} not in the database; it has {known}")
    return divisions


def _check_seasons(frame, seasons: list[str]) -> None:  # type: ignore[no-untyped-def]
    """An error naming the seasons the database has when one asked for is not among them."""
    from soccerpredict.data.columns import season_start_year

    present = set(frame["season"])
    missing = [s for s in seasons if s not in present]
    if missing:
        ordered = sorted(present, key=season_start_year)
        span = f"{len(ordered)} seasons, {ordered[0]} to {ordered[-1]}" if len(ordered) > 6 else ", ".join(ordered)
        raise fail(f"season(s) {', '.join(missing)} not in the database for these divisions; it has {span}")


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
