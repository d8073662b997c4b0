"""Generate ``dvc.yaml`` from the stage table (a test fails when the checked-in file is stale)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from components.stage import Stage
from components.stages import STAGES, stage_by_name

__all__ = ["WORKDIR", "dvc_plots", "dvc_yaml", "render_dvc_yaml"]

WORKDIR = "artifacts"
HEADER = "# Generated from components/stages.py by `soccerpredict pipeline dvc-yaml`; do not edit.\n"
METRICS_FILES = {"metrics.json"}


def _code_deps(stage: Stage) -> list[str]:
    module = stage.function.partition(":")[0]
    return [module.replace(".", "/") + ".py", *stage.code]


def _entry(stage: Stage) -> dict[str, Any]:
    entry: dict[str, Any] = {"cmd": f"soccerpredict stage {stage.name}"}
    gates = [f"{WORKDIR}/{name}" for gate in stage.after for name in stage_by_name(gate).outputs.values()]
    entry["deps"] = _code_deps(stage) + [f"{WORKDIR}/{name}" for name in stage.inputs.values()] + gates
    if stage.params:
        entry["params"] = list(stage.params)
    outs = [f"{WORKDIR}/{name}" for name in stage.outputs.values() if name not in METRICS_FILES]
    if outs:
        entry["outs"] = outs
    # Cached like every output, so `dvc push` carries it and a pulled clone has it (a `cache: false` file
    # would have to come from git, and artifacts/ is not in git).
    metrics = [f"{WORKDIR}/{name}" for name in stage.outputs.values() if name in METRICS_FILES]
    if metrics:
        entry["metrics"] = metrics
    if stage.always_changed:
        entry["always_changed"] = True
    return entry


def _output(stage: str, artifact: str) -> str:
    return f"{WORKDIR}/{stage_by_name(stage).outputs[artifact]}"


def dvc_plots() -> list[Any]:
    """The evaluation plots for ``dvc plots show`` and ``dvc plots diff``: the data behind each PNG, drawn by
    DVC's templates, and the PNGs themselves (with the 95% intervals DVC's templates cannot draw)."""
    from soccerpredict.models.plots import DIFFERENCE_PLOTS, IMPORTANCE_PLOT, MODEL_LABEL, RELIABILITY_DATA

    backtest, importance = _output("backtest", "backtest_plots"), _output("explain", "importance_plots")
    interval = ("rps_diff", "rps_diff_lo", "rps_diff_hi")
    label = {"season": "season", "div": "division"}
    plots: list[Any] = [
        {
            f"backtest_{name}": {
                "template": "scatter",
                "x": by,
                "y": {f"{backtest}/{name}.csv": list(interval)},
                "title": f"Backtest: model minus closing-market RPS by {label[by]}",
                "x_label": label[by],
                "y_label": "model RPS - market RPS (95% interval)",
            }
        }
        for by, name in DIFFERENCE_PLOTS.items()
    ]
    plots += [
        {
            "backtest_reliability": {
                "template": "scatter",
                "x": "forecast",
                "y": {f"{backtest}/{RELIABILITY_DATA}": "observed"},
                "title": "Backtest: reliability (every outcome and forecaster; 10 equal-mass bins)",
                "x_label": "forecast probability",
                "y_label": "observed frequency",
            }
        },
        {
            "importance": {
                "template": "bar_horizontal_sorted",
                "x": "importance",
                "y": {f"{importance}/{IMPORTANCE_PLOT}.csv": "feature"},
                "title": "Permutation importance of the final model",
                "x_label": "increase in log-loss",
                "y_label": "feature",
            }
        },
        *(f"{backtest}/{name}.png" for name in (*DIFFERENCE_PLOTS.values(), f"reliability_{MODEL_LABEL}")),
        f"{importance}/{IMPORTANCE_PLOT}.png",
    ]
    return plots


def dvc_yaml(stages: Iterable[Stage] = STAGES) -> dict[str, Any]:
    """The dvc.yaml document for the stage table, with the evaluation plots."""
    return {"stages": {stage.name: _entry(stage) for stage in stages}, "plots": dvc_plots()}


def render_dvc_yaml(stages: Iterable[Stage] = STAGES) -> str:
    """dvc.yaml as text, exactly as checked in."""
    return HEADER + yaml.safe_dump(dvc_yaml(stages), sort_keys=False, width=120)


def write_dvc_yaml(path: Path) -> Path:
    """Write dvc.yaml."""
    path.write_text(render_dvc_yaml())
    return path
