"""Evaluation plots: pure functions compute what is plotted, separate functions draw it.

The data functions return tidy frames (one row per point) that are written as CSV beside each PNG, so DVC
can render and diff them (``plots:`` in ``dvc.yaml``) and a reader can check every point. The drawing
functions use a bare matplotlib ``Figure`` (the Agg canvas: no display, pyplot's global state untouched),
a fixed size and resolution and no PNG metadata, so the same data always gives the same bytes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from soccerpredict.models.backtest import report_by_group
from soccerpredict.models.metrics import PROB_COLUMNS, check_probs, reliability_curve

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "DIFFERENCE_COLUMNS",
    "DIFFERENCE_PLOTS",
    "IMPORTANCE_PLOT",
    "MODEL_LABEL",
    "OUTCOME_NAMES",
    "RELIABILITY_DATA",
    "draw_importance",
    "draw_market_differences",
    "draw_reliability",
    "image_data_uri",
    "importance_table",
    "inline_images",
    "market_differences",
    "plot_title",
    "plots_markdown",
    "reliability_bins",
    "save_png",
    "write_backtest_plots",
    "write_importance_plot",
    "write_plot_data",
]

#: The columns of :func:`market_differences` besides the grouping column.
DIFFERENCE_COLUMNS: Final = ("n_bench", "rps_diff", "rps_diff_lo", "rps_diff_hi")
#: File names (without suffix) of the backtest's model-minus-market plots, by grouping column.
DIFFERENCE_PLOTS: Final = {"season": "rps_diff_by_season", "div": "rps_diff_by_division"}
#: The data of every reliability diagram of a backtest, one row per forecaster, outcome and bin.
RELIABILITY_DATA: Final = "reliability.csv"
#: The label of the pipeline's one forecaster in the backtest plots (its reliability diagram: reliability_model.png).
MODEL_LABEL: Final = "model"
#: File name (without suffix) of the feature-importance plot and its data.
IMPORTANCE_PLOT: Final = "importance"
#: Outcome names in the order of ``y`` (0, 1, 2) and of the probability columns.
OUTCOME_NAMES: Final = ("home win", "draw", "away win")
_DPI: Final = 100
#: matplotlib writes its version as PNG "Software"; without it the bytes depend on the data alone.
_PNG_METADATA: Final[dict[str, Any]] = {"Software": None}
_IMAGE_LINK: Final = re.compile(r"!\[([^\]]*)\]\(([^)\s:]+\.png)\)")


def market_differences(
    preds: pd.DataFrame, market_probs: ArrayLike, by: str, *, n_boot: int = 2000, seed: int = 0
) -> pd.DataFrame:
    """RPS of the model minus the closing market per value of ``by``, with the paired bootstrap 95% interval.

    The numbers are those of :func:`~soccerpredict.models.backtest.report_by_group` (same resampling, same
    seed); groups without a single match priced by the market are left out. Columns: ``by`` (as text) and
    :data:`DIFFERENCE_COLUMNS`, sorted by ``by``.
    """
    table = report_by_group(preds, market_probs, by=(by,), n_boot=n_boot, seed=seed)
    table = table[table["n_bench"] > 0].dropna(subset=["rps_diff"])
    out = table[[by, *DIFFERENCE_COLUMNS]].copy()
    out[by] = out[by].astype(str)
    out["n_bench"] = out["n_bench"].astype(int)
    return out.sort_values(by, kind="stable").reset_index(drop=True)


def reliability_bins(probs: ArrayLike, y: ArrayLike, *, n_bins: int = 10) -> pd.DataFrame:
    """One-vs-rest reliability per outcome: ``outcome``, ``bin``, ``forecast``, ``observed``, ``n`` per bin.

    Bins hold about equally many matches (quantile bins), so every point rests on a similar sample. Rows
    with a missing probability (a match the market did not price) are left out.
    """
    p = np.asarray(probs, dtype=float)
    usable = np.isfinite(p).all(axis=1) if p.ndim == 2 else np.zeros(0, dtype=bool)
    p, labels = check_probs(p[usable], np.asarray(y)[usable])
    records = []
    for k, outcome in enumerate(OUTCOME_NAMES):
        if len(p) == 0:
            break
        forecast, observed, counts = reliability_curve(p[:, k], labels == k, n_bins=n_bins, strategy="quantile")
        records += [
            {"outcome": outcome, "bin": b, "forecast": float(f), "observed": float(o), "n": int(c)}
            for b, (f, o, c) in enumerate(zip(forecast, observed, counts, strict=True))
        ]
    return pd.DataFrame.from_records(records, columns=["outcome", "bin", "forecast", "observed", "n"])


def importance_table(rows: Sequence[Mapping[str, Any]], *, top: int = 20) -> pd.DataFrame:
    """The ``top`` features by permutation importance: ``feature``, ``importance``, ``std``, largest first.

    Args:
        rows: the ``importance`` list of the explain stage (``feature``, ``log_loss_increase``, ``std``).
    """
    table = pd.DataFrame.from_records(
        [
            {"feature": str(r["feature"]), "importance": float(r["log_loss_increase"]), "std": float(r["std"])}
            for r in rows
        ],
        columns=["feature", "importance", "std"],
    )
    return (
        table.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
        .head(top)
        .reset_index(drop=True)
    )


def write_plot_data(table: pd.DataFrame, path: Path) -> Path:
    """The plotted data as CSV, numbers at a fixed precision (the same data, the same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")
    return path


def save_png(fig: Figure, path: Path) -> Path:
    """Write ``fig`` as PNG at the fixed resolution, without metadata (same figure, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=_DPI, metadata=_PNG_METADATA)
    return path


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def draw_market_differences(
    table: pd.DataFrame, by: str, path: Path, *, title: str, series: str | None = None, xlabel: str | None = None
) -> Path:
    """Points with 95% intervals of model minus market RPS per group; one colour per ``series`` value.

    Args:
        table: rows of :func:`market_differences`, with a ``series`` column when several are drawn.
    """
    groups = sorted(table[by].astype(str).unique())
    names = sorted(table[series].astype(str).unique()) if series else [""]
    fig = _new_figure(max(6.0, 0.9 * len(groups) * max(1, len(names)) + 3.0), 4.5)
    ax = fig.subplots()
    width = 0.7 / len(names)
    for i, name in enumerate(names):
        rows = table if not series else table[table[series].astype(str) == name]
        x = np.array([groups.index(g) for g in rows[by].astype(str)]) + (i - (len(names) - 1) / 2) * width
        diff = rows["rps_diff"].to_numpy(float)
        errors = np.vstack([diff - rows["rps_diff_lo"].to_numpy(float), rows["rps_diff_hi"].to_numpy(float) - diff])
        ax.errorbar(x, diff, yerr=np.abs(errors), fmt="o", capsize=4, label=name or None)
    ax.axhline(0.0, color="black", linewidth=0.8, linestyle="--")
    ax.set_xticks(range(len(groups)), groups)
    ax.set(
        title=title,
        xlabel=xlabel or by,
        ylabel="model RPS − market RPS\n(below 0: model better; bars: 95% interval)",
    )
    ax.grid(axis="y", alpha=0.3)
    if series:
        ax.legend(loc="best")
    return save_png(fig, path)


def draw_reliability(table: pd.DataFrame, path: Path, *, title: str, series: str = "forecaster") -> Path:
    """One panel per outcome: observed frequency against forecast probability, one line per ``series`` value.

    Args:
        table: rows of :func:`reliability_bins` with a ``series`` column naming the forecaster.
    """
    fig = _new_figure(12.0, 4.2)
    axes = fig.subplots(1, len(OUTCOME_NAMES), sharey=True)
    for ax, outcome in zip(axes, OUTCOME_NAMES, strict=True):
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
        for name, rows in table[table["outcome"] == outcome].groupby(series, sort=True):
            ax.plot(rows["forecast"], rows["observed"], marker="o", label=str(name))
        ax.set(title=outcome, xlabel="forecast probability", xlim=(0, 1), ylim=(0, 1))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("observed frequency")
    axes[0].legend(loc="upper left")
    fig.suptitle(title)
    return save_png(fig, path)


def draw_importance(table: pd.DataFrame, path: Path, *, title: str) -> Path:
    """Horizontal bars of permutation importance (largest on top) with ± one standard deviation."""
    fig = _new_figure(9.0, max(3.0, 0.32 * len(table) + 1.5))
    ax = fig.subplots()
    y = np.arange(len(table))[::-1]
    ax.barh(y, table["importance"].to_numpy(float), xerr=table["std"].to_numpy(float), capsize=3, color="tab:blue")
    ax.set_yticks(y, table["feature"].tolist())
    ax.axvline(0.0, color="black", linewidth=0.8)
    ax.set(xlabel="increase in log-loss when the feature is shuffled (± 1 sd)")
    fig.suptitle(title)  # centred on the figure: long feature names push the axes right
    ax.grid(axis="x", alpha=0.3)
    return save_png(fig, path)


def image_data_uri(path: Path) -> str:
    """A PNG as a ``data:`` URI, for pages that cannot follow relative links (the KFP UI)."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def inline_images(markdown: str, folder: Path) -> str:
    """``markdown`` with every relative ``![alt](name.png)`` whose file is in ``folder`` as a data URI."""

    def replace(match: re.Match[str]) -> str:
        image = folder / match.group(2)
        return f"![{match.group(1)}]({image_data_uri(image)})" if image.is_file() else match.group(0)

    return _IMAGE_LINK.sub(replace, markdown)


def plot_title(stem: str) -> str:
    """The title of a plot by its file name (without suffix), as written by the functions below."""
    by = {v: k for k, v in DIFFERENCE_PLOTS.items()}
    if stem in by:
        return f"Model minus closing market RPS by {'division' if by[stem] == 'div' else by[stem]}"
    if stem.startswith("reliability_"):
        label = stem.removeprefix("reliability_")
        return f"Reliability: {label} against the closing market (10 equal-mass bins per outcome)"
    if stem == IMPORTANCE_PLOT:
        return "Permutation importance of the final model"
    if stem.startswith(f"{IMPORTANCE_PLOT}_"):
        return f"Permutation importance of the final {stem.removeprefix(f'{IMPORTANCE_PLOT}_')} model"
    return stem.replace("_", " ")


def write_backtest_plots(
    predictions: Mapping[str, pd.DataFrame], market_probs: ArrayLike, folder: Path, *, n_boot: int, seed: int
) -> list[tuple[str, str]]:
    """Draw the backtest's plots into ``folder``, each PNG with its data as CSV; return ``(title, file)`` pairs.

    Args:
        predictions: forecaster label (a track, or ``model``) -> :func:`~soccerpredict.models.backtest.walk_forward`
            frame, all of the same matches in the same order as ``market_probs`` (NaN rows where the market has
            no closing odds). Each label gets its reliability diagram, ``reliability_<label>.png``.
    """
    market = np.asarray(market_probs, dtype=float)
    written: list[tuple[str, str]] = []
    for by, label in (("season", "season"), ("div", "division")):
        name = DIFFERENCE_PLOTS[by]
        table = pd.concat(
            [
                market_differences(preds, market, by, n_boot=n_boot, seed=seed).assign(track=track)
                for track, preds in predictions.items()
            ],
            ignore_index=True,
        )
        write_plot_data(table, folder / f"{name}.csv")
        title = plot_title(name)
        draw_market_differences(table, by, folder / f"{name}.png", title=title, series="track", xlabel=label)
        written.append((title, f"{name}.png"))
    some = next(iter(predictions.values()))
    curves = [reliability_bins(market, some["y"]).assign(forecaster="closing market")]
    for track, preds in predictions.items():
        curves.append(reliability_bins(preds[list(PROB_COLUMNS)], preds["y"]).assign(forecaster=track))
        title = plot_title(f"reliability_{track}")
        rows = pd.concat([curves[0], curves[-1]], ignore_index=True)
        draw_reliability(rows, folder / f"reliability_{track}.png", title=title)
        written.append((title, f"reliability_{track}.png"))
    write_plot_data(pd.concat(curves, ignore_index=True), folder / RELIABILITY_DATA)
    return written


def write_importance_plot(
    rows: Sequence[Mapping[str, Any]], folder: Path, *, top: int = 20, stem: str = IMPORTANCE_PLOT
) -> tuple[str, str]:
    """Draw the permutation importance of the final model into ``folder`` as ``<stem>.png`` with ``<stem>.csv``;
    return its title and file (``stem`` ``importance_<track>`` names the track in the title)."""
    table = importance_table(rows, top=top)
    write_plot_data(table, folder / f"{stem}.csv")
    title = f"{plot_title(stem)} (top {len(table)} features)"
    draw_importance(table, folder / f"{stem}.png", title=title)
    return title, f"{stem}.png"


def plots_markdown(plots: Sequence[tuple[str, str]], *, prefix: str = "") -> list[str]:
    """Markdown lines embedding each ``(title, file)`` by a relative link (``prefix`` + file)."""
    return [line for title, name in plots for line in (f"![{title}]({prefix}{name})", "")]
