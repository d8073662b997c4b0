"""Properties of the forecast scores: ranges, perfect forecasts, row-order invariance, propriety."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from soccerpredict.models.metrics import (
    PER_ROW_SCORES,
    brier,
    calibration_error,
    log_loss,
    per_row_brier,
    per_row_log_loss,
    per_row_rps,
    rps,
)

SCORES = {"rps": rps, "brier": brier, "log_loss": log_loss}
_unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


def _normalise(raw: np.ndarray) -> np.ndarray:
    raw = raw + 1e-6  # keeps every row's sum positive
    return raw / raw.sum(axis=-1, keepdims=True)


@st.composite
def forecasts(draw: st.DrawFn, max_rows: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """``(probs, y)``: valid H/D/A probability rows and outcomes."""
    n = draw(st.integers(1, max_rows))
    probs = _normalise(draw(arrays(np.float64, (n, 3), elements=_unit)))
    y = draw(arrays(np.int64, n, elements=st.integers(0, 2)))
    return probs, y


distributions = arrays(np.float64, 3, elements=_unit).map(_normalise)


@given(forecasts())
def test_scores_stay_in_their_ranges(data: tuple[np.ndarray, np.ndarray]) -> None:
    probs, y = data
    assert 0.0 <= rps(probs, y) <= 1.0
    assert 0.0 <= brier(probs, y) <= 2.0
    assert log_loss(probs, y) >= 0.0
    assert 0.0 <= calibration_error(probs, y) <= 1.0


@given(arrays(np.int64, st.integers(1, 30), elements=st.integers(0, 2)))
def test_perfect_forecast_scores_zero(y: np.ndarray) -> None:
    probs = np.eye(3)[y]
    assert rps(probs, y) == 0.0
    assert brier(probs, y) == 0.0
    assert log_loss(probs, y) == pytest.approx(0.0, abs=1e-12)


@given(forecasts(), st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_row_order(data: tuple[np.ndarray, np.ndarray], random: object) -> None:
    probs, y = data
    order = list(range(len(y)))
    random.shuffle(order)  # type: ignore[attr-defined]
    for score in SCORES.values():
        assert score(probs[order], y[order]) == pytest.approx(score(probs, y), rel=1e-12, abs=1e-12)


def _expected(per_row: object, forecast: np.ndarray, truth: np.ndarray) -> float:
    """Expected score of ``forecast`` when the outcome is drawn from ``truth``."""
    rows = np.tile(forecast, (3, 1))
    return float(truth @ per_row(rows, np.arange(3)))  # type: ignore[operator]


@settings(max_examples=200)
@given(distributions, distributions)
@pytest.mark.parametrize("per_row", [per_row_rps, per_row_brier, per_row_log_loss], ids=list(PER_ROW_SCORES))
def test_scores_are_proper(per_row: object, truth: np.ndarray, forecast: np.ndarray) -> None:
    # Forecasting the true distribution minimises the expected score: no forecast beats honesty.
    assert _expected(per_row, truth, truth) <= _expected(per_row, forecast, truth) + 1e-12
