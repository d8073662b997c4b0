"""The KFP UI shows a Markdown or HTML output alone: every plot in it is inline (a data URI), never a relative link."""

import base64
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
from kfp.dsl import HTML, Artifact, ClassificationMetrics, Dataset, Markdown, Metrics
from report_doubles import report

from pipelines.runtime import CLASSES, log_backtest, log_evaluation, publish_images

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
_DATA_URI = re.compile(r"data:image/png;base64,([A-Za-z0-9+/=]+)")


def _artifact(kind: type[Artifact], path: Path) -> Artifact:
    return kind(name=path.name, uri=str(path))


def _pngs(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        (folder / name).write_bytes(PNG + bytes([i]))


def _decoded(text: str) -> list[bytes]:
    return [base64.b64decode(uri) for uri in _DATA_URI.findall(text)]


def test_the_model_card_markdown_carries_its_images_inline(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([2, 2, 2], 60)
    preds = pd.DataFrame({"y": rng.integers(0, 3, 60), **{f"p_{c}": probs[:, k] for k, c in enumerate(CLASSES)}})
    preds.to_parquet(tmp_path / "test_predictions")
    (tmp_path / "evaluation").write_text(
        json.dumps(report(metrics={"model": {"rps": 0.2}}, quality_gate={"passed": 1}))
    )
    card = tmp_path / "card"
    _pngs(card, "reliability.png", "importance.png")
    (card / "model_card.md").write_text("# card\n\n![Reliability](reliability.png)\n\n![Importance](importance.png)\n")

    log_evaluation(
        _artifact(Artifact, tmp_path / "evaluation"),
        _artifact(Dataset, tmp_path / "test_predictions"),
        _artifact(Artifact, card),
        Metrics(name="m", uri=str(tmp_path / "m")),
        ClassificationMetrics(name="c", uri=str(tmp_path / "c")),
        _artifact(Markdown, tmp_path / "model_card"),
        rocs={c: ClassificationMetrics(name=c, uri=str(tmp_path / c)) for c in CLASSES},
    )

    text = (tmp_path / "model_card").read_text()
    assert "](reliability.png)" not in text and "](importance.png)" not in text
    assert _decoded(text) == [(card / "reliability.png").read_bytes(), (card / "importance.png").read_bytes()]
    assert text.startswith("# card")


def test_the_backtest_markdown_and_the_importance_html_show_every_plot(tmp_path: Path) -> None:
    (tmp_path / "backtest.json").write_text(json.dumps({"overall": {"rps": 0.2, "bench_rps": 0.19}}))
    plots = tmp_path / "plots"
    _pngs(plots, "rps_diff_by_season.png", "reliability_model.png")
    metrics = Metrics(name="m", uri=str(tmp_path / "m"))
    log_backtest(
        _artifact(Artifact, tmp_path / "backtest.json"),
        metrics,
        _artifact(Artifact, plots),
        _artifact(Markdown, tmp_path / "backtest_markdown"),
    )
    assert metrics.metadata["backtest_rps"] == 0.2
    expected = [(plots / name).read_bytes() for name in ("reliability_model.png", "rps_diff_by_season.png")]
    assert _decoded((tmp_path / "backtest_markdown").read_text()) == expected

    publish_images(_artifact(Artifact, plots), _artifact(HTML, tmp_path / "page.html"), title="Plots <&>")
    page = (tmp_path / "page.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "Plots &lt;&amp;&gt;" in page
    assert _decoded(page) == expected and page.count("<img ") == 2
