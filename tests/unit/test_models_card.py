"""Model card: Markdown sections and PNG plots from an evaluation mapping; missing sections are left out."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_models_synthetic import synthetic_matches

from soccerpredict.models.backtest import report_by_group
from soccerpredict.models.card import CARD_NAME, RELIABILITY_PNG, RPS_BY_DIVISION_PNG, render_model_card
from soccerpredict.models.metrics import METRICS, PROB_COLUMNS, evaluate

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def evaluation() -> dict[str, Any]:
    data = synthetic_matches(n_seasons=2, per_season=300, seed=9)
    rng = np.random.default_rng(0)
    noisy = data.true_probs * rng.uniform(0.8, 1.2, data.true_probs.shape)
    preds = data.meta.assign(y=data.y).reset_index(drop=True)
    preds[list(PROB_COLUMNS)] = noisy / noisy.sum(axis=1, keepdims=True)
    probs = preds[list(PROB_COLUMNS)].to_numpy()
    return {
        "model_name": "xgb",
        "created": "2024-06-01",
        "params": {"max_depth": 3, "learning_rate": 0.05},
        "data": {"train_seasons": ["1718"], "test_seasons": ["1819"], "divisions": ["E0", "I1"], "n_train": 300,
                 "n_test": 300, "date_from": "2017-08-01", "date_to": "2019-05-10"},
        "metrics": {"xgb": evaluate(probs, data.y), "closing market": evaluate(data.true_probs, data.y)},
        "model_key": "xgb",
        "benchmark_key": "closing market",
        "overall": report_by_group(preds, data.true_probs, by=(), n_boot=100).iloc[0].to_dict(),
        "by_division": report_by_group(preds, data.true_probs, by=("div",), n_boot=100),
        "calibration": {"method": "temperature", "requested": "auto", "n_fit": 100, "n_select": 100, "n_total": 200,
                        "candidates": {"none": evaluate(probs, data.y)}, "temperature": 1.3},
        "tuning": {"xgb": {"cv_log_loss_mean": 0.97, "cv_log_loss_std": 0.01, "trials": [{}] * 5,
                           "valid_seasons": ["1718"]}},
        "predictions": preds,
        "benchmark_probs": data.true_probs,
        "warnings": ["suspected leak in E0: check the closing odds"],
    }  # fmt: skip


def test_card_and_plots_are_written(evaluation: dict[str, Any], tmp_path: Path) -> None:
    path = render_model_card(evaluation, out_dir=tmp_path / "card")
    assert path == tmp_path / "card" / CARD_NAME
    for name in (RELIABILITY_PNG, RPS_BY_DIVISION_PNG):
        assert (tmp_path / "card" / name).read_bytes().startswith(PNG_MAGIC)


def test_card_reads_well(evaluation: dict[str, Any], tmp_path: Path) -> None:
    text = render_model_card(evaluation, out_dir=tmp_path).read_text()
    for heading in (
        "# Model card: xgb",
        "## Data window",
        "## How good are the forecasts",
        "## By division",
        "## Calibration",
        "## Model selection",
        "## Parameters",
        "## Leak check",
        "## Caveats",
    ):
        assert heading in text  # fmt: skip
    assert "| Forecaster | " + " | ".join(METRICS) + " |" in text
    assert "| **xgb** |" in text and "| closing market |" in text
    assert "| Test seasons (walk-forward) | 1819 to 1819 (1 season) |" in text
    assert "Temperature T = 1.300" in text
    assert "suspected leak in E0" in text
    assert f"![Reliability diagram]({RELIABILITY_PNG})" in text
    assert "95% bootstrap interval" in text
    assert "nan" not in text.lower()


def test_an_empty_evaluation_still_renders(tmp_path: Path) -> None:
    text = render_model_card({}, out_dir=tmp_path).read_text()
    assert text.startswith("# Model card: model")
    assert "## Caveats" in text and "## By division" not in text
    assert not (tmp_path / RELIABILITY_PNG).exists()


def test_records_are_accepted_instead_of_a_frame(evaluation: dict[str, Any], tmp_path: Path) -> None:
    records = pd.DataFrame(evaluation["by_division"]).to_dict(orient="records")
    text = render_model_card({**evaluation, "by_division": records}, out_dir=tmp_path).read_text()
    assert "| E0 |" in text and "| I1 |" in text


def test_backtest_and_importance_plots_are_copied_next_to_the_card_and_linked(
    evaluation: dict[str, Any], tmp_path: Path
) -> None:
    from soccerpredict.models.plots import write_backtest_plots, write_importance_plot

    plots = tmp_path / "stage_outputs"
    preds, market = evaluation["predictions"], evaluation["benchmark_probs"]
    backtest = write_backtest_plots({"model": preds}, market, plots / "backtest", n_boot=50, seed=0)
    importance = write_importance_plot([{"feature": "elo_diff", "log_loss_increase": 0.02, "std": 0.001}], plots)
    figures = {
        "backtest_plots": [(title, plots / "backtest" / name) for title, name in backtest],
        "importance_plots": [(importance[0], plots / importance[1])],
    }
    card = render_model_card({**evaluation, **figures}, out_dir=tmp_path / "card")
    text = card.read_text()
    assert "## Walk-forward backtest" in text and "## Feature importance" in text
    links = re.findall(r"!\[[^\]]+\]\(([^)]+)\)", text)
    assert {"rps_diff_by_season.png", "rps_diff_by_division.png", "reliability_model.png", "importance.png"} <= set(
        links
    )
    for link in links:  # relative, next to the card, and a PNG
        assert "/" not in link and (card.parent / link).read_bytes().startswith(PNG_MAGIC)
