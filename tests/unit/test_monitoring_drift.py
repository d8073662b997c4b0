"""compute_drift's per-feature flags, against expectations written by hand for each of Evidently's two kinds of test.

Evidently 0.7 picks the test per numerical column from the reference size and the distinct values: up to 1,000
reference rows (and more than 5 values) the K-S p-value, drifted when small; beyond 1,000 rows the normed
Wasserstein distance, drifted when large.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.monitoring.drift import compute_drift

COLUMNS = ["elo_diff", "rest_days_diff"]


def samples(rows: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """elo_diff shifted by two standard deviations (drifted); rest_days_diff the reference's own values, reshuffled."""
    rng = np.random.default_rng(7)
    reference = pd.DataFrame({c: rng.normal(0.0, 1.0, rows) for c in COLUMNS})
    current = pd.DataFrame(
        {
            "elo_diff": rng.normal(2.0, 1.0, rows),
            "rest_days_diff": rng.permutation(reference["rest_days_diff"].to_numpy()),
        }
    )
    return reference, current


@pytest.mark.parametrize(
    ("rows", "method", "threshold", "shifted_score", "steady_score"),
    [
        # p-values: near 0 for the shift, 1 for the same values
        (400, "K-S p_value", 0.05, (0.0, 1e-6), (0.99, 1.0)),
        # distances in reference standard deviations: about 2 for the shift, 0 for the same values
        (1500, "Wasserstein distance (normed)", 0.1, (1.5, 2.5), (0.0, 1e-9)),
    ],
    ids=["p-value", "distance"],
)
def test_a_shifted_feature_is_flagged_and_an_unchanged_one_is_not(
    rows: int,
    method: str,
    threshold: float,
    shifted_score: tuple[float, float],
    steady_score: tuple[float, float],
) -> None:
    reference, current = samples(rows)

    result = compute_drift(reference, current, COLUMNS)

    features = {f.feature: f for f in result.features}
    assert {name: (f.method, f.threshold) for name, f in features.items()} == dict.fromkeys(
        COLUMNS, (method, threshold)
    )
    assert shifted_score[0] <= features["elo_diff"].score <= shifted_score[1]
    assert steady_score[0] <= features["rest_days_diff"].score <= steady_score[1]
    assert {name: f.drifted for name, f in features.items()} == {"elo_diff": True, "rest_days_diff": False}
    assert result.drifted_share == 0.5
    assert result.summary()["drifted_features"] == ["elo_diff"]
