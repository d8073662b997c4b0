"""The model card: a Markdown page with plots that tells a user what the model is, how good it is, and its limits.

:func:`render_model_card` reads an *evaluation* mapping; every key is optional and its section is left
out when missing:

- ``model_name`` (str), ``params`` (dict), ``created`` (str, e.g. an ISO date, passed in: no clock here)
- ``data``: ``train_seasons``, ``test_seasons``, ``divisions`` (lists), ``n_train``, ``n_test`` (ints),
  ``date_from``, ``date_to`` (str)
- ``metrics``: forecaster name -> :func:`~soccerpredict.models.metrics.evaluate` dict (model, benchmarks)
- ``model_key`` / ``benchmark_key``: which ``metrics`` entries are the model and the closing market
- ``overall``: one row of :func:`~soccerpredict.models.backtest.report_by_group` with ``by=()`` (mapping)
- ``by_division``: :func:`~soccerpredict.models.backtest.report_by_group` with ``by=("div",)`` (frame or records)
- ``calibration``: the report of :func:`~soccerpredict.models.calibration.calibrate`
- ``tuning``: model name -> :meth:`~soccerpredict.models.tuning.TuneResult.to_dict`
- ``predictions``: :func:`~soccerpredict.models.backtest.walk_forward` frame (``p_home``.. and ``y``) for the
  reliability diagram; ``benchmark_probs``: ``(n, 3)`` array aligned with it
- ``warnings``: messages of :func:`~soccerpredict.models.backtest.leak_check`
- ``backtest_plots`` / ``importance_plots``: ``(title, png path)`` pairs of
  :func:`~soccerpredict.models.plots.write_backtest_plots` / :func:`~soccerpredict.models.plots.write_importance_plot`;
  each PNG is copied next to the card and linked from it
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from soccerpredict.models.metrics import METRIC_DESCRIPTIONS, METRICS, PROB_COLUMNS

__all__ = ["CARD_NAME", "RELIABILITY_PNG", "RPS_BY_DIVISION_PNG", "render_model_card"]

CARD_NAME: Final = "model_card.md"
RELIABILITY_PNG: Final = "reliability.png"
RPS_BY_DIVISION_PNG: Final = "rps_by_division.png"

_CAVEATS: Final = (
    "Scores are from a walk-forward backtest: each test season was predicted by a model trained only on "
    "earlier seasons. Future seasons can differ (rule changes, new teams, a changing betting market).",
    "The closing market is a very strong benchmark: it prices in team news up to kick-off, which the model "
    "never sees. Matching it is good; beating it by a wide margin usually means information leaked.",
    "Differences of a few thousandths of RPS are within noise for a few thousand matches; read the "
    "95% intervals before concluding that one forecaster is better.",
    "Probabilities are for the 90-minute result (home win, draw, away win), not for extra time or penalties.",
    "This is a research tool, not betting advice.",
)


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    return str(value)


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, numeric: bool = True) -> list[str]:
    """A Markdown table; with ``numeric`` every column after the first is right-aligned."""
    rule = ":---" if not numeric else "---:"
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join([":---", *[rule] * (len(headers) - 1)]) + "|"]
    lines += ["| " + " | ".join(_fmt(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def _records(table: Any) -> list[dict[str, Any]]:
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        return [{str(k): v for k, v in row.items()} for row in table.to_dict(orient="records")]
    return [dict(row) for row in table]


def _summary(ev: Mapping[str, Any]) -> list[str]:
    metrics, model_key, bench_key = ev.get("metrics", {}), ev.get("model_key"), ev.get("benchmark_key")
    if model_key not in metrics:
        return []
    text = f"On the test seasons the model's ranked probability score (RPS) is **{metrics[model_key]['rps']:.4f}**"
    if bench_key in metrics:
        text += f", against **{metrics[bench_key]['rps']:.4f}** for the benchmark *{bench_key}*"
    overall = ev.get("overall") or {}
    if "rps_diff" in overall and np.isfinite(overall["rps_diff"]):
        text += (
            f"; the per-match difference is {overall['rps_diff']:+.4f} "
            f"(95% bootstrap interval {overall['rps_diff_lo']:+.4f} to {overall['rps_diff_hi']:+.4f}; "
            "negative means the model is better)"
        )
    return [text + ".", ""]


def _data_section(data: Mapping[str, Any]) -> list[str]:
    if not data:
        return []

    def seasons(key: str) -> str:
        values = list(data.get(key) or [])
        plural = "s" if len(values) != 1 else ""
        return f"{values[0]} to {values[-1]} ({len(values)} season{plural})" if values else "–"

    rows = [
        ("Training seasons", seasons("train_seasons")),
        ("Test seasons (walk-forward)", seasons("test_seasons")),
        ("Matches: training / test", f"{_fmt(data.get('n_train'))} / {_fmt(data.get('n_test'))}"),
        ("Match dates", f"{_fmt(data.get('date_from'))} to {_fmt(data.get('date_to'))}"),
        ("Divisions", ", ".join(map(str, data.get("divisions") or [])) or "–"),
    ]
    return ["## Data window", "", *_table(["", ""], rows, numeric=False)]


def _metrics_section(ev: Mapping[str, Any]) -> list[str]:
    metrics = ev.get("metrics") or {}
    if not metrics:
        return []
    rows = [
        [f"**{name}**" if name == ev.get("model_key") else name, *(m.get(k) for k in METRICS)]
        for name, m in metrics.items()
    ]
    lines = ["## How good are the forecasts", "", *_table(["Forecaster", *METRICS], rows), "What the numbers mean:", ""]
    lines += [f"- **{name}**: {METRIC_DESCRIPTIONS[name]}." for name in METRICS]
    lines += [
        "",
        "Lower is better for every score except accuracy. For orientation: a forecast of 1/3 for each outcome "
        "scores an RPS of about 0.22–0.24 on typical league data, and closing bookmaker prices roughly 0.19–0.21.",
        "",
    ]
    return lines


def _division_section(ev: Mapping[str, Any], plot: Path | None) -> list[str]:
    records = _records(ev.get("by_division"))
    if not records:
        return []
    headers = ["Division", "Matches", "Model RPS", "Market RPS", "Difference", "95% interval"]
    rows = [
        [
            r.get("div"),
            r.get("n"),
            r.get("rps"),
            r.get("bench_rps"),
            r.get("rps_diff"),
            f"{_fmt(r.get('rps_diff_lo'))} to {_fmt(r.get('rps_diff_hi'))}",
        ]
        for r in records
    ]
    lines = [
        "## By division",
        "",
        "Difference = model RPS minus market RPS on the matches where both exist "
        "(negative: the model is better there).",
        "",
        *_table(headers, rows),
    ]
    return [*lines, f"![RPS by division]({plot.name})", ""] if plot else lines


def _calibration_section(report: Mapping[str, Any], plot: Path | None) -> list[str]:
    if not report and plot is None:
        return []
    lines = ["## Calibration", ""]
    if report:
        lines += [
            f"Chosen method: **{report.get('method')}** (requested: {report.get('requested')}), by log-loss on the "
            f"latest {report.get('n_select')} of {report.get('n_total')} calibration matches; the candidates were "
            f"fitted on the {report.get('n_fit')} earlier ones.",
            "",
        ]
        if report.get("temperature") is not None:
            lines += [f"Temperature T = {report['temperature']:.3f} (T > 1 softens over-confident forecasts).", ""]
        candidates = report.get("candidates") or {}
        lines += ["Each candidate on the held-out (latest) part of the slice:", ""]
        lines += _table(["Method", *METRICS], [[m, *(s.get(k) for k in METRICS)] for m, s in candidates.items()])
    if plot:
        lines += [
            "A well-calibrated forecast follows the diagonal: of the matches given 40% for a draw, "
            "about 40% end in a draw.",
            "",
            f"![Reliability diagram]({plot.name})",
            "",
        ]
    return lines


def _figures(figures: Sequence[tuple[str, Path]], out_dir: Path) -> list[str]:
    """Copy each ``(title, png)`` next to the card and embed it by a relative link."""
    lines = []
    for title, source in figures:
        target = out_dir / source.name
        if source.resolve() != target.resolve():
            shutil.copyfile(source, target)
        lines += [f"![{title}]({target.name})", ""]
    return lines


def _backtest_section(figures: Sequence[tuple[str, Path]], out_dir: Path) -> list[str]:
    if not figures:
        return []
    return [
        "## Walk-forward backtest",
        "",
        "Each backtest season is predicted by the selected model trained only on earlier seasons; the "
        "difference to the closing market is per match, with its paired bootstrap 95% interval (below zero: "
        "the model is better).",
        "",
        *_figures(figures, out_dir),
    ]


def _importance_section(figures: Sequence[tuple[str, Path]], out_dir: Path) -> list[str]:
    if not figures:
        return []
    return [
        "## Feature importance",
        "",
        "How much the final model's log-loss on the test seasons grows when one feature's values are shuffled "
        "(permutation importance; near zero: the model hardly uses the feature).",
        "",
        *_figures(figures, out_dir),
    ]


def _tuning_section(tuning: Mapping[str, Mapping[str, Any]], chosen: str | None) -> list[str]:
    if not tuning:
        return []
    rows = [
        [
            f"**{name}**" if name == chosen else name,
            r.get("cv_log_loss_mean"),
            r.get("cv_log_loss_std"),
            len(r.get("trials") or []),
            ", ".join(map(str, r.get("valid_seasons") or [])),
        ]
        for name, r in tuning.items()
    ]
    headers = ["Model", "CV log-loss", "std over folds", "Trials", "Validation seasons"]
    return [
        "## Model selection",
        "",
        "Candidates were tuned by mean log-loss over expanding-window season folds "
        "(train on all earlier seasons, validate on the next); the lowest wins, ties go to the simpler model.",
        "",
        *_table(headers, rows),
    ]


def _params_section(params: Mapping[str, Any]) -> list[str]:
    if not params:
        return []
    return ["## Parameters", "", "```json", json.dumps(params, indent=2, sort_keys=True, default=str), "```", ""]


def _warnings_section(warnings: Sequence[str]) -> list[str]:
    body = (
        [f"- ⚠️ {w}" for w in warnings]
        if warnings
        else ["- No leak suspected: the model does not beat the closing market by more than the tolerance."]
    )
    return ["## Leak check", "", *body, ""]


def _plot_reliability(predictions: pd.DataFrame, benchmark: np.ndarray | None, path: Path) -> Path:
    from soccerpredict.models.plots import draw_reliability, reliability_bins

    y = predictions["y"].to_numpy(np.int64)
    curves = [reliability_bins(predictions[list(PROB_COLUMNS)], y).assign(forecaster="model")]
    if benchmark is not None:
        curves.append(reliability_bins(benchmark, y).assign(forecaster="market"))
    title = "Reliability on the test seasons (10 equal-mass bins per outcome)"
    return draw_reliability(pd.concat(curves, ignore_index=True), path, title=title)


def _column(records: list[dict[str, Any]], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in records])


def _plot_rps_by_division(records: list[dict[str, Any]], path: Path) -> Path:
    """Left: RPS of model and market per division; right: their difference with its 95% interval."""
    # A bare Figure renders with Agg and leaves pyplot's global backend alone (no display on CI or in pods).
    from matplotlib.figure import Figure

    from soccerpredict.models.plots import save_png

    divisions = [str(r.get("div")) for r in records]
    x = np.arange(len(divisions))
    model, market, diff = _column(records, "rps"), _column(records, "bench_rps"), _column(records, "rps_diff")
    fig = Figure(figsize=(max(10.0, 1.0 * len(divisions) + 4), 4))
    left, right = fig.subplots(1, 2)
    left.bar(x - 0.2, model, width=0.4, label="model")
    left.bar(x + 0.2, market, width=0.4, label="closing market")
    # RPS differences are thousandths on a level near 0.2: start the axis near the data, not at zero.
    both = np.concatenate([model, market])
    if np.isfinite(both).any():
        bottom, top = np.nanmin(both) * 0.95, np.nanmax(both)
        left.set_ylim(bottom, top + 0.4 * (top - bottom))  # head room for the legend
    left.set(xticks=x, xticklabels=divisions, ylabel="RPS (lower is better)", title="RPS by division")
    left.legend(loc="upper right", ncols=2)
    errors = np.abs(np.vstack([diff - _column(records, "rps_diff_lo"), _column(records, "rps_diff_hi") - diff]))
    right.bar(x, diff, yerr=errors, capsize=4, color="tab:grey")
    right.axhline(0.0, color="black", linewidth=0.8)
    right.set(xticks=x, xticklabels=divisions, ylabel="model − market RPS", title="Difference (95% interval)")
    fig.tight_layout()
    return save_png(fig, path)


def _plots(ev: Mapping[str, Any], out_dir: Path) -> tuple[Path | None, Path | None]:
    predictions = ev.get("predictions")
    reliability = None
    if isinstance(predictions, pd.DataFrame) and len(predictions):
        bench = ev.get("benchmark_probs")
        reliability = _plot_reliability(
            predictions, None if bench is None else np.asarray(bench, float), out_dir / RELIABILITY_PNG
        )
    records = _records(ev.get("by_division"))
    by_division = _plot_rps_by_division(records, out_dir / RPS_BY_DIVISION_PNG) if records else None
    return reliability, by_division


def render_model_card(evaluation: Mapping[str, Any], *, out_dir: Path) -> Path:
    """Write ``model_card.md`` and its PNG plots into ``out_dir``; return the card's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reliability, by_division = _plots(evaluation, out_dir)
    name = evaluation.get("model_name", "model")
    lines = [f"# Model card: {name}", ""]
    lines += [f"*Generated {evaluation['created']}.*", ""] if evaluation.get("created") else []
    lines += [
        "Forecasts the probabilities of a home win, a draw and an away win for league football matches, "
        "from information available before kick-off.",
        "",
        *_summary(evaluation),
        *_data_section(evaluation.get("data") or {}),
        *_metrics_section(evaluation),
        *_division_section(evaluation, by_division),
        *_calibration_section(evaluation.get("calibration") or {}, reliability),
        *_backtest_section(list(evaluation.get("backtest_plots") or []), out_dir),
        *_importance_section(list(evaluation.get("importance_plots") or []), out_dir),
        *_tuning_section(evaluation.get("tuning") or {}, name),
        *_params_section(evaluation.get("params") or {}),
        *_warnings_section(list(evaluation.get("warnings") or [])),
        "## Caveats",
        "",
        *(f"- {c}" for c in _CAVEATS),
        "",
    ]
    path = out_dir / CARD_NAME
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
