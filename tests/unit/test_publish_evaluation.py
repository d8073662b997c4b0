"""What batch_inference publishes of the champion (components/publish.py): its run's evaluation report, with the
model card and reliability plot when they are small, as the facade's ModelEvaluation under MODEL_EVALUATION_KEY."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from report_doubles import REPORT, report

from components.publish import _publish_evaluation, champion_evaluation
from soccerpredict.artifacts import CARD_ARTIFACT, EVALUATION_ARTIFACT, MODEL_EVALUATION_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import ReportError
from soccerpredict.models.card import CARD_NAME, RELIABILITY_PNG
from soccerpredict.models.report import MAX_CARD_BYTES, ModelEvaluation

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 16
NOW = datetime(2024, 8, 16, 6, 0, tzinfo=UTC)


def artifacts(
    root: Path, *, evaluation: Any = REPORT, card: str | None = "# Model card", png: bytes | None = PNG
) -> Callable[[str], Path | None]:
    """A run's artifact folders as MLflow downloads them; returns the download function over them."""
    folders: dict[str, Path] = {}
    if evaluation is not None:
        folders[EVALUATION_ARTIFACT] = root / "evaluation"
        folders[EVALUATION_ARTIFACT].mkdir()
        (root / "evaluation" / "evaluation.json").write_text(json.dumps(evaluation))
    if card is not None or png is not None:
        folders[CARD_ARTIFACT] = root / "card"
        folders[CARD_ARTIFACT].mkdir()
        if card is not None:
            (root / "card" / CARD_NAME).write_text(card)
        if png is not None:
            (root / "card" / RELIABILITY_PNG).write_bytes(png)
    return folders.get


def test_the_report_card_and_plot_of_the_champions_run_are_carried(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path), now=NOW)
    assert published is not None
    assert (published.model, published.version, published.published_at) == ("soccer-1x2", "7", NOW.isoformat())
    assert json.loads(published.to_json())["evaluation"] == REPORT  # the report as the evaluate stage wrote it
    assert published.card == "# Model card"
    assert base64.b64decode(published.reliability_png or "") == PNG


def test_a_large_card_or_a_missing_plot_is_left_out(tmp_path: Path) -> None:
    published = champion_evaluation("7", artifacts(tmp_path, card="x" * (MAX_CARD_BYTES + 1), png=None), now=NOW)
    assert published is not None and published.card is None and published.reliability_png is None


def test_a_run_without_a_report_publishes_nothing(tmp_path: Path) -> None:
    assert champion_evaluation("7", artifacts(tmp_path, evaluation=None)) is None


def test_a_malformed_report_is_an_error_naming_its_file(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"evaluation\.json is not a valid evaluation report"):
        champion_evaluation("7", artifacts(tmp_path, evaluation=report(quality_gate="yes")))


def test_the_registered_champion_is_published_to_the_store(
    tmp_path: Path, mlflow_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through MLflow as register_model logs the run (artifacts ``evaluation`` and ``card``) and the store."""
    from sklearn.linear_model import LogisticRegression

    from soccerpredict.registry.mlflow_log import log_and_register, use_tracking

    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_uri)
    use_tracking(mlflow_uri)
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"elo_diff": rng.normal(size=60), "noise": rng.normal(size=60)})
    model = LogisticRegression(max_iter=300).fit(x, np.arange(60) % 3)
    (tmp_path / "reports").mkdir()
    (evaluation := tmp_path / "reports" / "evaluation.json").write_text(json.dumps(REPORT))
    (card := tmp_path / "reports" / "model_card").mkdir()
    (card / CARD_NAME).write_text("# Model card: soccer-1x2")
    (card / RELIABILITY_PNG).write_bytes(PNG)
    common: dict[str, Any] = {"example": x.head(5), "params": {}, "metrics": {}, "tags": {}}
    logged = {CARD_ARTIFACT: card, EVALUATION_ARTIFACT: evaluation}
    version = log_and_register(model, artifacts=logged, **common).version
    bare = log_and_register(model, artifacts={}, **common).version

    store = ObjectStore((tmp_path / "store").as_uri())
    assert _publish_evaluation(store, version)
    published = ModelEvaluation.from_json(store.read_bytes(MODEL_EVALUATION_KEY))
    assert published.version == version and published.card == "# Model card: soccer-1x2"
    assert json.loads(published.to_json())["evaluation"] == REPORT
    # A champion whose run logged no report leaves the published copy as it was.
    assert not _publish_evaluation(store, bare)
    assert ModelEvaluation.from_json(store.read_bytes(MODEL_EVALUATION_KEY)).version == version
