"""What a Kubeflow component runs: the stage function, with KFP artifact paths in place of the work folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["run_component"]


def run_component(name: str, params_json: str, **artifacts: Any) -> dict[str, Any]:
    """Run stage ``name``; ``artifacts`` are the component's Input/Output artifacts by argument name."""
    from components.stage import run_stage_function
    from components.stages import stage_by_name

    stage = stage_by_name(name)
    paths: dict[str, Path] = {}
    for arg, artifact_name in {**stage.inputs, **stage.outputs}.items():
        paths[artifact_name] = Path(artifacts[arg].path)
    return run_stage_function(stage, paths=paths, params=json.loads(params_json))


def log_evaluation(
    evaluation: Any, test_predictions: Any, card: Any, metrics: Any, confusion: Any, markdown: Any
) -> None:
    """Publish the evaluation to the KFP UI: scalar metrics, the H/D/A confusion matrix, the model card."""
    import pandas as pd

    report = json.loads(Path(evaluation.path).read_text())
    for name, value in report["metrics"]["model"].items():
        metrics.log_metric(f"test_{name}", float(value))
    for baseline in ("market", "climatology", "elo_logit", "goals_model"):
        if baseline in report["metrics"]:
            metrics.log_metric(f"{baseline}_rps", float(report["metrics"][baseline]["rps"]))
    metrics.log_metric("quality_gate_passed", float(report["quality_gate"]["passed"]))
    preds = pd.read_parquet(test_predictions.path)
    predicted = preds[["p_home", "p_draw", "p_away"]].to_numpy().argmax(axis=1)
    matrix = pd.crosstab(preds["y"], predicted).reindex(index=range(3), columns=range(3), fill_value=0)
    confusion.log_confusion_matrix(["home", "draw", "away"], matrix.to_numpy().tolist())
    Path(markdown.path).write_text((Path(card.path) / "model_card.md").read_text())


def log_backtest(backtest_report: Any, metrics: Any) -> None:
    """Publish the walk-forward backtest's overall scores to the KFP UI."""
    overall = json.loads(Path(backtest_report.path).read_text())["overall"]
    for name in ("rps", "log_loss", "bench_rps", "rps_diff", "rps_diff_lo", "rps_diff_hi"):
        if name in overall and overall[name] is not None:
            metrics.log_metric(f"backtest_{name}", float(overall[name]))
