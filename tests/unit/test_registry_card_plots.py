"""The registered run carries the model card with every plot it links (MLflow artifacts under card/)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from soccerpredict.models.card import render_model_card
from soccerpredict.models.metrics import PROB_COLUMNS
from soccerpredict.models.plots import write_backtest_plots, write_importance_plot
from soccerpredict.registry.mlflow_log import log_and_register, use_tracking


def test_the_logged_card_folder_holds_every_png_the_card_links(mlflow_uri: str, tmp_path: Path) -> None:
    import mlflow
    from mlflow.tracking import MlflowClient

    rng = np.random.default_rng(3)
    n = 300
    preds = pd.DataFrame({"season": np.repeat(["2223", "2324"], n // 2), "div": "E0", "y": rng.integers(0, 3, n)})
    preds[list(PROB_COLUMNS)] = rng.dirichlet([3, 2, 3], n)
    market = rng.dirichlet([3, 2, 3], n)
    plots = tmp_path / "plots"
    backtest = write_backtest_plots({"model": preds}, market, plots, n_boot=50, seed=0)
    importance = write_importance_plot([{"feature": "elo_diff", "log_loss_increase": 0.02, "std": 0.001}], plots)
    evaluation = {
        "predictions": preds,
        "benchmark_probs": market,
        "backtest_plots": [(title, plots / name) for title, name in backtest],
        "importance_plots": [(importance[0], plots / importance[1])],
    }
    card = render_model_card(evaluation, out_dir=tmp_path / "card")
    linked = set(re.findall(r"!\[[^\]]+\]\(([^)]+\.png)\)", card.read_text()))
    assert len(linked) == 5

    use_tracking(mlflow_uri)
    X = pd.DataFrame({"elo_diff": rng.normal(size=200), "noise": rng.normal(size=200)})
    model = LogisticRegression().fit(X, rng.integers(0, 3, 200))
    registration = log_and_register(
        model, example=X.head(5), params={}, metrics={"rps": 0.2}, tags={}, artifacts={"card": card.parent}
    )

    logged = {Path(a.path).name for a in MlflowClient().list_artifacts(registration.run_id, "card")}
    assert logged == linked | {card.name}
    local = Path(mlflow.artifacts.download_artifacts(run_id=registration.run_id, artifact_path="card"))
    for name in linked:
        assert (local / name).read_bytes() == (card.parent / name).read_bytes()
