"""compute_drift's per-feature flags, against expectations written by hand for each of Evidently's two kinds of test.

Evidently 0.7 picks the test per numerical column from the reference size and the distinct values: up to 1,000
reference rows (and more than 5 values) the K-S p-value, drifted when small; beyond 1,000 rows the normed
Wasserstein distance, drifted when large.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soccerpredict.errors import DataError
from soccerpredict.monitoring.drift import DriftResult, FeatureDrift, compute_drift, is_drifted, spread_columns

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


def test_the_summary_is_the_whole_document_with_both_sizes_and_a_full_html_page() -> None:
    reference, current = samples(400)
    current = current.iloc[:120]

    result = compute_drift(reference, current, COLUMNS)

    assert (result.reference_rows, result.current_rows) == (400, 120)
    assert result.html.lstrip().startswith("<!DOCTYPE html>")  # a page of its own, not an <iframe srcdoc=...>
    assert result.summary() == {
        "drifted_share": result.drifted_share,
        "drifted_features": ["elo_diff"],
        "reference_rows": 400,
        "current_rows": 120,
        "features": [
            {"feature": f.feature, "score": f.score, "method": f.method, "threshold": f.threshold,
             "drifted": f.drifted}
            for f in result.features
        ],
        "skipped_features": [],
    }  # fmt: skip
    assert DriftResult([], 0.0, 1, 2).summary()["drifted_share"] == 0.0


def test_a_feature_without_values_on_either_side_is_skipped_and_reported() -> None:
    reference, current = samples(400)
    # elo_diff has no value in the current window, rest_days_diff none in the reference; "form" has both.
    reference = reference.assign(form=np.linspace(0, 1, 400), rest_days_diff=np.nan)
    current = current.assign(form=np.linspace(0, 1, 400), elo_diff=np.nan)

    result = compute_drift(reference, current, [*COLUMNS, "form"])

    assert [f.feature for f in result.features] == ["form"]
    assert result.skipped == ["elo_diff", "rest_days_diff"]
    assert result.summary()["skipped_features"] == ["elo_diff", "rest_days_diff"]


def test_nothing_to_compare_is_a_clear_error() -> None:
    reference, current = samples(50)
    with pytest.raises(DataError, match="no feature of 2 has values in both"):
        compute_drift(reference, current.iloc[:0], COLUMNS)


@pytest.mark.parametrize(
    ("score", "threshold", "method", "drifted"),
    [
        (0.049, 0.05, "K-S p_value", True),
        (0.05, 0.05, "K-S p_value", False),  # a p-value drifts only strictly below its threshold
        (0.051, 0.05, "chi-square p_value", False),
        (0.099, 0.1, "Wasserstein distance (normed)", False),
        (0.1, 0.1, "Wasserstein distance (normed)", True),  # a distance drifts at its threshold
        (0.2, 0.1, "Jensen-Shannon distance", True),
    ],
)
def test_scores_are_read_by_their_method(score: float, threshold: float, method: str, drifted: bool) -> None:
    assert is_drifted(score, threshold, method) is drifted
    assert FeatureDrift("x", score, method, threshold, drifted).drifted is drifted


@pytest.mark.parametrize(
    ("columns", "max_columns", "expected"),
    [
        (list("abcdefgh"), None, list("abcdefgh")),
        (list("abcdefgh"), 8, list("abcdefgh")),
        (list("abcdefgh"), 9, list("abcdefgh")),
        (list("abcdefgh"), 4, ["a", "c", "e", "g"]),
        (list("abcdefgh"), 3, ["a", "c", "f"]),  # steps of 8/3: positions 0, 2.67, 5.33
        (list("abcdefgh"), 1, ["a"]),
    ],
)
def test_spread_columns_keeps_evenly_spaced_columns_in_order(
    columns: list[str], max_columns: int | None, expected: list[str]
) -> None:
    assert spread_columns(tuple(columns), max_columns) == expected
