"""The walk-forward study as markdown (what ``soccerpredict backtest`` writes under ``docs/reports/``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from soccerpredict.models.study import StudyResult

__all__ = ["render_study_markdown"]


def _ci(row: Mapping[Any, Any]) -> str:
    return f"{row['rps_diff']:+.4f} [{row['rps_diff_lo']:+.4f}, {row['rps_diff_hi']:+.4f}]"


def render_study_markdown(result: StudyResult, *, command: str = "") -> str:
    """The study as markdown: goals, forecasters against the market, versus the baselines, per division."""
    config = result.config
    lines = [
        "# Walk-forward backtest",
        "",
        f"Test seasons {', '.join(config.seasons)}, each predicted by a model trained only on earlier seasons"
        + (f" (training from {config.train_from})" if config.train_from else "")
        + f"; model `{config.model}` with params {dict(config.params) or 'defaults'}"
        + (f", tuned before each test season ({config.tune_trials} Optuna trials)" if config.tune_trials else "")
        + (f"; feature groups left out: {', '.join(config.drop_groups)}" if config.drop_groups else "")
        + "; "
        f"{config.n_boot} paired bootstrap resamples. RPS differences are model minus closing market "
        "(negative = better than the market), with 95% intervals, on the matches that have closing odds.",
        "",
    ]
    if command:
        lines += [f"Command: `{command}`", ""]
    lines += [
        "## Quality goals",
        "",
        "| track | goal | model RPS | market RPS | difference [95% CI] | met |",
        "|---|---|---|---|---|---|",
    ]
    for goal in result.goals:
        met = "yes" if goal["met"] else f"no (short by {goal['short_by']:.4f})"
        lines.append(
            f"| {goal['track']} | {goal['goal']} | {goal['rps']:.4f} | {goal['market_rps_paired']:.4f} | "
            f"{_ci(goal)} | {met} |"
        )
    lines += ["", "## Every forecaster against the closing market", ""]
    lines += [
        "| forecaster | scope | matches | RPS | log-loss | Brier | accuracy | ECE | market RPS "
        "| RPS - market [95% CI] |"
    ]
    lines += ["|---|---|---|---|---|---|---|---|---|---|"]
    for row in result.overall.to_dict(orient="records"):
        lines.append(
            f"| {row['forecaster']} | {row['scope']} | {row['n']} | {row['rps']:.4f} | {row['log_loss']:.4f} | "
            f"{row['brier']:.4f} | {row['accuracy']:.4f} | {row['ece']:.4f} | {row['bench_rps']:.4f} | {_ci(row)} |"
        )
    if not result.versus_baselines.empty:
        lines += ["", "## Model against the baselines (paired)", ""]
        lines += [
            "| track | baseline | scope | matches | RPS model - baseline [95% CI] | better |",
            "|---|---|---|---|---|---|",
        ]
        for row in result.versus_baselines.to_dict(orient="records"):
            better = "yes" if row["better"] else "no"
            lines.append(
                f"| {row['track']} | {row['baseline']} | {row['scope']} | {row['n']} | {_ci(row)} | {better} |"
            )
    if result.tuned:
        lines += ["", "## Tuned parameters", ""]
        lines += ["| forecaster and test season | validated on | log-loss | parameters |", "|---|---|---|---|"]
        for key, tuned in result.tuned.items():
            params = ", ".join(
                f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in tuned["params"].items()
            )
            lines.append(f"| {key} | {tuned['valid_season']} | {tuned['valid_log_loss']:.4f} | {params} |")
    lines += ["", "## Leak check", ""]
    lines += [f"- {w}" for w in result.leaks] or [
        "No model beats the closing market by more than 0.002 RPS in any division."
    ]
    lines += ["", "## By division and season", ""]
    lines += [
        "| forecaster | div | season | matches | RPS | market RPS | RPS - market [95% CI] |",
        "|---|---|---|---|---|---|---|",
    ]
    table = result.by_group[result.by_group["forecaster"].str.startswith("model:")]
    for row in table.sort_values(["forecaster", "div", "season"]).to_dict(orient="records"):
        market = f"{row['bench_rps']:.4f}" if pd.notna(row["bench_rps"]) else "n/a"
        diff = _ci(row) if pd.notna(row["rps_diff"]) else "n/a"
        lines.append(
            f"| {row['forecaster']} | {row['div']} | {row['season']} | {row['n']} | {row['rps']:.4f} "
            f"| {market} | {diff} |"
        )
    if result.seconds_by_forecaster:
        lines += [
            "",
            "Walk-forward seconds per forecaster: "
            + ", ".join(f"{k} {v}" for k, v in result.seconds_by_forecaster.items()),
        ]
    return "\n".join(lines) + "\n"
