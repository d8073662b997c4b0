"""What a Kubeflow component runs: the stage function, with KFP artifact paths in place of the work folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np

__all__ = ["CLASSES", "images_html", "log_backtest", "log_evaluation", "publish_images", "roc_points", "run_component"]

#: The outcome classes in the order of ``y`` (0, 1, 2) and of the ``p_home, p_draw, p_away`` columns.
CLASSES: Final = ("home", "draw", "away")


def run_component(name: str, params_json: str, **artifacts: Any) -> dict[str, Any]:
    """Run stage ``name``; ``artifacts`` are the component's Input/Output artifacts by argument name."""
    from components.stages import run_table_stage, stage_by_name
    from soccerpredict.settings import Settings

    stage = stage_by_name(name)
    paths: dict[str, Path] = {}
    for arg, artifact_name in {**stage.inputs, **stage.outputs}.items():
        paths[artifact_name] = Path(artifacts[arg].path)
    # The component's process is the entry point: its settings come from the pod's environment.
    return run_table_stage(stage, paths=paths, params=json.loads(params_json), settings=Settings())


def roc_points(
    is_class: np.ndarray, score: np.ndarray, *, max_points: int = 200
) -> tuple[list[float], list[float], list[float]]:
    """One-vs-rest ROC curve (fpr, tpr, thresholds), thinned to at most ``max_points`` points.

    sklearn's first threshold is ``inf`` (nothing predicted positive), which JSON cannot carry; it is
    reported as 1.0, the largest probability. Thinning keeps both ends and evenly spaced points between.
    """
    from sklearn.metrics import roc_curve

    fpr, tpr, thresholds = roc_curve(is_class, score, drop_intermediate=True)
    if len(fpr) > max_points:
        keep = np.unique(np.linspace(0, len(fpr) - 1, max_points).round().astype(int))
        fpr, tpr, thresholds = fpr[keep], tpr[keep], thresholds[keep]
    thresholds = np.minimum(thresholds, 1.0)
    return fpr.tolist(), tpr.tolist(), thresholds.tolist()


def log_evaluation(
    evaluation: Any,
    test_predictions: Any,
    card: Any,
    metrics: Any,
    confusion: Any,
    markdown: Any,
    *,
    rocs: Mapping[str, Any],
) -> None:
    """Publish the evaluation to the KFP UI: scalar metrics, the H/D/A confusion matrix, the model card.

    The card's images are embedded as data URIs: the UI shows the Markdown alone, so relative links to the
    PNGs next to it would not render.

    ``rocs`` maps each class of :data:`CLASSES` to a ClassificationMetrics output for its one-vs-rest ROC
    curve. KFP has no precision-recall type, so each class's average precision (the area under its PR
    curve) goes into ``metrics`` as ``test_average_precision_<class>``.
    """
    import pandas as pd
    from sklearn.metrics import average_precision_score

    from soccerpredict.models.report import EvaluationReport

    report = EvaluationReport.read(Path(evaluation.path))
    for name, value in report.model_scores.model_dump(exclude_unset=True).items():
        metrics.log_metric(f"test_{name}", float(value))
    for baseline in ("market", "climatology", "elo_logit", "goals_model"):
        if baseline in report.metrics:
            metrics.log_metric(f"{baseline}_rps", float(report.metrics[baseline].rps))
    metrics.log_metric("quality_gate_passed", float(report.quality_gate.passed))
    preds = pd.read_parquet(test_predictions.path)
    probs = preds[[f"p_{name}" for name in CLASSES]].to_numpy()
    y = preds["y"].to_numpy()
    matrix = pd.crosstab(y, probs.argmax(axis=1)).reindex(index=range(3), columns=range(3), fill_value=0)
    confusion.log_confusion_matrix(list(CLASSES), matrix.to_numpy().tolist())
    for k, name in enumerate(CLASSES):
        rocs[name].log_roc_curve(*roc_points(y == k, probs[:, k]))
        metrics.log_metric(f"test_average_precision_{name}", float(average_precision_score(y == k, probs[:, k])))
    from soccerpredict.models.card import CARD_NAME
    from soccerpredict.models.plots import inline_images

    folder = Path(card.path)
    Path(markdown.path).write_text(inline_images((folder / CARD_NAME).read_text(), folder))


def log_backtest(backtest_report: Any, metrics: Any, plots: Any, markdown: Any) -> None:
    """Publish the walk-forward backtest to the KFP UI: its overall scores, and its plots inline as Markdown."""
    from soccerpredict.models.plots import image_data_uri
    from soccerpredict.models.report import BacktestReport

    overall = BacktestReport.read(Path(backtest_report.path)).overall
    for name in ("rps", "log_loss", "bench_rps", "rps_diff", "rps_diff_lo", "rps_diff_hi"):
        value = getattr(overall, name)
        if value is not None:
            metrics.log_metric(f"backtest_{name}", float(value))
    lines = ["# Walk-forward backtest", ""]
    for png in sorted(Path(plots.path).glob("*.png")):
        lines += [f"![{png.stem.replace('_', ' ')}]({image_data_uri(png)})", ""]
    Path(markdown.path).write_text("\n".join(lines))


def images_html(folder: Path, *, title: str) -> str:
    """A self-contained HTML page showing every PNG of ``folder`` (as data URIs), in name order."""
    from html import escape

    from soccerpredict.models.plots import image_data_uri

    images = "".join(
        f'<figure><img alt="{escape(png.stem)}" src="{image_data_uri(png)}"></figure>'
        for png in sorted(folder.glob("*.png"))
    )
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>" + (
        f"<body><h1>{escape(title)}</h1>{images}</body></html>"
    )


def publish_images(plots: Any, html: Any, *, title: str) -> None:
    """Write the PNGs of the ``plots`` artifact (a folder) into the HTML output ``html`` for the KFP UI."""
    Path(html.path).write_text(images_html(Path(plots.path), title=title))
