"""Metrics: hand-computed golden values, agreement with scikit-learn, validation errors, binning."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import log_loss as sk_log_loss

from soccerpredict.errors import ModelError
from soccerpredict.models.metrics import (
    METRICS,
    PER_ROW_SCORES,
    accuracy,
    brier,
    calibration_error,
    check_probs,
    evaluate,
    log_loss,
    per_row_brier,
    per_row_log_loss,
    per_row_rps,
    reliability_curve,
    rps,
)

FORECAST = [0.5, 0.25, 0.25]


def test_rps_golden_value_for_a_home_win() -> None:
    assert rps([FORECAST], [0]) == pytest.approx(0.15625)


@pytest.mark.parametrize(("outcome", "expected"), [(0, 0.15625), (1, 0.15625), (2, 0.40625)])
def test_per_row_rps_by_hand(outcome: int, expected: float) -> None:
    # Cumulative forecast (0.5, 0.75) against (1, 1), (0, 1) or (0, 0), squared, summed, halved.
    assert per_row_rps([FORECAST], [outcome])[0] == pytest.approx(expected)


def test_rps_penalises_distance_between_ordered_outcomes() -> None:
    # Same probability on the home win, but the away-heavy forecast is further from it than the draw-heavy one.
    assert rps([[0.2, 0.7, 0.1]], [0]) < rps([[0.2, 0.1, 0.7]], [0])


def test_brier_and_log_loss_golden_values() -> None:
    assert brier([FORECAST], [0]) == pytest.approx(0.25 + 0.0625 + 0.0625)
    assert log_loss([FORECAST], [1]) == pytest.approx(-np.log(0.25))


def test_log_loss_matches_sklearn() -> None:
    rng = np.random.default_rng(0)
    probs = rng.dirichlet([2, 1, 1], size=50)
    y = rng.integers(0, 3, 50)
    assert log_loss(probs, y) == pytest.approx(sk_log_loss(y, probs, labels=[0, 1, 2]))


def test_log_loss_is_clipped_for_zero_probability() -> None:
    assert log_loss([[1.0, 0.0, 0.0]], [2]) == pytest.approx(-np.log(1e-15))


def test_accuracy_ties_go_to_the_earlier_outcome() -> None:
    assert accuracy([[0.4, 0.4, 0.2], [0.2, 0.3, 0.5]], [0, 1]) == 0.5


def test_perfect_forecast_scores_zero() -> None:
    probs, y = np.eye(3), np.array([0, 1, 2])
    scores = evaluate(probs, y)
    assert scores["rps"] == scores["brier"] == scores["ece"] == 0.0
    assert scores["log_loss"] == pytest.approx(0.0, abs=1e-12)
    assert scores["accuracy"] == 1.0


def test_evaluate_returns_every_metric_in_order() -> None:
    assert tuple(evaluate([FORECAST, FORECAST], [0, 2])) == METRICS


def test_per_row_scores_average_to_the_metric() -> None:
    rng = np.random.default_rng(1)
    probs, y = rng.dirichlet([1, 1, 1], size=20), rng.integers(0, 3, 20)
    scores = evaluate(probs, y)
    for name, per_row in PER_ROW_SCORES.items():
        assert per_row(probs, y).mean() == pytest.approx(scores[name])
    assert per_row_brier(probs, y).shape == per_row_rps(probs, y).shape == (20,)


def test_calibration_error_of_a_constant_forecast_by_hand() -> None:
    # Every row says (0.5, 0.25, 0.25) and every match is a home win: errors 0.5, 0.25, 0.25, mean 1/3.
    assert calibration_error([FORECAST] * 4, [0] * 4) == pytest.approx(1 / 3)


def test_calibration_error_is_zero_when_bins_match_frequencies() -> None:
    probs = [FORECAST] * 4
    assert calibration_error(probs, [0, 0, 1, 2]) == pytest.approx(0.0)


def test_quantile_bins_hold_equal_counts() -> None:
    pred = np.linspace(0.0, 1.0, 100) ** 3  # skewed: equal-width bins would be very unequal
    _, _, counts = reliability_curve(pred, pred > 0.5, n_bins=10, strategy="quantile")
    assert counts.tolist() == [10.0] * 10
    _, _, uniform_counts = reliability_curve(pred, pred > 0.5, n_bins=10, strategy="uniform")
    assert uniform_counts.max() > 10


def test_unknown_bin_strategy_is_an_error() -> None:
    with pytest.raises(ModelError, match="bin strategy"):
        calibration_error([FORECAST], [0], strategy="kmeans")  # type: ignore[arg-type]


NOT_PROBABILITIES = "probabilities must be finite and non-negative; drop or fill rows without a forecast"


@pytest.mark.parametrize(
    ("probs", "y", "message"),
    [
        ([[0.5, 0.5]], [0], "probabilities must have shape (n, 3) in H/D/A order, got (1, 2)"),
        ([[0.5, 0.6, -0.1]], [0], NOT_PROBABILITIES),
        ([[0.5, 0.5, np.nan]], [0], NOT_PROBABILITIES),
        ([[0.5, 0.4, 0.4]], [0], "1 row(s) of probabilities do not sum to 1; normalise them first"),
        ([FORECAST], [3], "labels must be 0 (home win), 1 (draw) or 2 (away win)"),
        ([FORECAST], [0, 1], "labels must have shape (1,) to match the probabilities, got (2,)"),
    ],
)
def test_invalid_input_is_a_model_error(probs: list[list[float]], y: list[int], message: str) -> None:
    with pytest.raises(ModelError, match=f"^{re.escape(message)}$"):
        check_probs(probs, y)


def test_empty_forecasts_cannot_be_scored() -> None:
    empty = "^cannot score an empty set of forecasts$"
    with pytest.raises(ModelError, match=empty):
        rps(np.empty((0, 3)), np.empty(0, dtype=int))
    with pytest.raises(ModelError, match=empty):
        calibration_error(np.empty((0, 3)), np.empty(0, dtype=int))


def test_check_probs_without_labels_gives_home_wins_as_ints() -> None:
    p, labels = check_probs([FORECAST, FORECAST])
    assert labels.tolist() == [0, 0] and labels.dtype == np.int64
    assert p.dtype == np.float64


def test_the_tolerances_are_at_their_documented_edges() -> None:
    # A probability of -1e-4 is float noise (tolerated); the row still sums to 1.
    check_probs([[-1e-4, 0.5, 0.5001]], [0])
    with pytest.raises(ModelError, match="non-negative"):
        check_probs([[-1.1e-4, 0.5, 0.50011]], [0])


def test_log_loss_clips_at_the_given_eps_and_at_one() -> None:
    assert log_loss([[0.0, 0.5, 0.5]], [0], eps=0.25) == pytest.approx(-np.log(0.25))
    # Within the sum tolerance a probability may exceed 1: it scores 0, never a negative loss.
    assert per_row_log_loss([[1.00005, -0.00005, 0.0]], [0]).tolist() == [0.0]


def test_uniform_bins_are_tenths_and_the_top_edge_is_the_last_bin() -> None:
    pred = np.array([0.05, 0.15, 0.85, 0.95, 1.0])
    hit = np.array([0.0, 1.0, 1.0, 1.0, 0.0])
    mean_pred, observed, counts = reliability_curve(pred, hit)  # defaults: 10 equal-width bins
    assert counts.tolist() == [1.0, 1.0, 1.0, 2.0]  # 1.0 falls in the last bin, with 0.95
    assert mean_pred.tolist() == pytest.approx([0.05, 0.15, 0.85, 0.975])
    assert observed.tolist() == [0.0, 1.0, 1.0, 0.5]
    assert [c.tolist() for c in reliability_curve(pred, hit)] == [
        c.tolist() for c in reliability_curve(pred, hit, n_bins=10, strategy="uniform")
    ]


def test_quantile_bins_split_tied_predictions_in_row_order() -> None:
    rng = np.random.default_rng(4)
    pred = rng.integers(0, 3, 1000) / 2  # heavy ties: 0, 0.5 and 1 only
    hit = (np.arange(1000) < 500).astype(float)  # which tied rows share a bin changes the observed rates
    order = sorted(range(1000), key=lambda i: pred[i])  # Python's sort is stable: ties keep row order
    expected = [hit[chunk].mean() for chunk in np.array_split(np.array(order), 4)]
    _, observed, counts = reliability_curve(pred, hit, n_bins=4, strategy="quantile")
    assert counts.tolist() == [250.0] * 4
    assert observed.tolist() == pytest.approx(expected)


def test_calibration_error_uses_its_bins() -> None:
    rng = np.random.default_rng(5)
    p_home = rng.uniform(0.2, 0.8, 300)
    probs = np.column_stack([p_home, (1 - p_home) / 2, (1 - p_home) / 2])
    y = rng.integers(0, 3, 300)

    def by_hand(n_bins: int) -> float:
        errors = []
        for k in range(3):
            mean_pred, observed, counts = reliability_curve(probs[:, k], y == k, n_bins=n_bins)
            errors.append((counts * np.abs(mean_pred - observed)).sum() / counts.sum())
        return float(np.mean(errors))

    assert calibration_error(probs, y) == pytest.approx(by_hand(10))
    assert calibration_error(probs, y, n_bins=4) == pytest.approx(by_hand(4))
    assert by_hand(4) != pytest.approx(by_hand(10)) and by_hand(11) != pytest.approx(by_hand(10))


def test_float32_rounding_is_tolerated() -> None:
    probs = np.array([[0.1, 0.2, 0.7]], dtype=np.float32)
    assert rps(probs, [2]) == pytest.approx(per_row_rps([[0.1, 0.2, 0.7]], [2])[0], abs=1e-6)
