"""What the evaluate component publishes to the KFP UI: ROC curves per class and average precision."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kfp.dsl import Artifact, ClassificationMetrics, Dataset, Markdown, Metrics
from report_doubles import report
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from pipelines.runtime import CLASSES, log_evaluation, roc_points


def _scores(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    is_class = rng.random(n) < 0.3
    score = np.clip(0.3 + 0.25 * is_class + rng.normal(0, 0.2, n), 0, 1).round(4)
    return is_class, score


def test_a_short_curve_is_sklearns_with_a_finite_first_threshold() -> None:
    is_class, score = _scores(60)
    fpr, tpr, thresholds = roc_points(is_class, score, max_points=1000)
    expected = roc_curve(is_class, score)
    np.testing.assert_allclose(fpr, expected[0])
    np.testing.assert_allclose(tpr, expected[1])
    assert np.isinf(expected[2][0]) and thresholds[0] == 1.0
    np.testing.assert_allclose(thresholds[1:], expected[2][1:])
    json.dumps(thresholds, allow_nan=False)  # what KFP stores must be plain JSON


@pytest.mark.parametrize("max_points", [50, 200])
def test_a_long_curve_is_thinned_keeping_its_ends_and_shape(max_points: int) -> None:
    is_class, score = _scores(20_000, seed=1)
    assert len(roc_curve(is_class, score)[0]) > 4 * max_points
    fpr, tpr, thresholds = roc_points(is_class, score, max_points=max_points)
    assert len(fpr) == len(tpr) == len(thresholds) <= max_points
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0) and np.all(np.diff(thresholds) <= 0)
    assert np.trapezoid(tpr, fpr) == pytest.approx(roc_auc_score(is_class, score), abs=2e-3)


def _artifact(kind: type[Artifact], path: Path) -> Artifact:
    return kind(name=path.name, uri=str(path))


def test_log_evaluation_publishes_a_roc_curve_per_class_and_average_precisions(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 300)
    probs = rng.dirichlet([2, 2, 2], 300)
    probs[np.arange(300), y] += 0.3
    probs /= probs.sum(axis=1, keepdims=True)
    preds = pd.DataFrame({"y": y, "p_home": probs[:, 0], "p_draw": probs[:, 1], "p_away": probs[:, 2]})
    preds.to_parquet(tmp_path / "test_predictions")
    evaluation = report(metrics={"model": {"rps": 0.2}}, quality_gate={"passed": True})
    (tmp_path / "evaluation").write_text(json.dumps(evaluation))
    (tmp_path / "card").mkdir()
    (tmp_path / "card" / "model_card.md").write_text("# card\n")
    metrics = Metrics(name="kfp_metrics", uri=str(tmp_path / "kfp_metrics"))
    confusion = ClassificationMetrics(name="kfp_confusion", uri=str(tmp_path / "kfp_confusion"))
    rocs = {name: ClassificationMetrics(name=f"roc_{name}", uri=str(tmp_path / f"roc_{name}")) for name in CLASSES}

    log_evaluation(
        _artifact(Artifact, tmp_path / "evaluation"),
        _artifact(Dataset, tmp_path / "test_predictions"),
        _artifact(Artifact, tmp_path / "card"),
        metrics,
        confusion,
        _artifact(Markdown, tmp_path / "model_card"),
        rocs=rocs,
    )

    for k, name in enumerate(CLASSES):
        points = rocs[name].metadata["confidenceMetrics"]
        expected_fpr, expected_tpr, _ = roc_points(y == k, probs[:, k])
        assert [p["falsePositiveRate"] for p in points] == expected_fpr
        assert [p["recall"] for p in points] == expected_tpr
        ap = metrics.metadata[f"test_average_precision_{name}"]
        assert ap == pytest.approx(average_precision_score(y == k, probs[:, k]))
        assert ap > np.mean(y == k)  # better than a constant forecast, whose AP is the class share
    assert confusion.metadata["confusionMatrix"]["annotationSpecs"] == [{"displayName": c} for c in CLASSES]
    assert metrics.metadata["test_rps"] == 0.2 and metrics.metadata["quality_gate_passed"] == 1.0
    assert (tmp_path / "model_card").read_text() == "# card\n"
