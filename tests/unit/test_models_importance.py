"""Permutation importance: the feature the outcome depends on ranks first, noise near zero."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from soccerpredict.models.importance import permutation_importances


def test_the_informative_feature_ranks_first_and_noise_is_near_zero() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"noise": rng.normal(size=900), "signal": rng.normal(size=900)})
    y = np.digitize(X["signal"] + rng.normal(0, 0.5, 900), [-0.4, 0.4])  # 0, 1, 2 driven by "signal"
    model = LogisticRegression().fit(X, y)
    rows = permutation_importances(model, X, y, seed=1, max_rows=500)
    assert [r["feature"] for r in rows] == ["signal", "noise"]
    assert rows[0]["log_loss_increase"] > 0.3 > abs(rows[1]["log_loss_increase"])
    assert rows == permutation_importances(model, X, y, seed=1, max_rows=500)  # seeded: the same every time
