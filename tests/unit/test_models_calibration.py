"""Calibration: temperature scaling recovers a known over-confidence; calibrate() chooses on held-out rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from test_models_synthetic import ordered_logit_probs, synthetic_matches

from soccerpredict.errors import ConfigError, ModelError
from soccerpredict.models.calibration import (
    CALIBRATION_METHODS,
    MIN_ISOTONIC_ROWS,
    PROBABILITY_FLOOR,
    FlooredClassifier,
    TemperatureCalibrator,
    TemperatureScaledClassifier,
    calibrate,
    calibration_split,
)
from soccerpredict.models.metrics import log_loss

COLUMNS = ["p_true_home", "p_true_draw", "p_true_away"]


class PoweredTruth(ClassifierMixin, BaseEstimator):
    """Reads the true probabilities from X and raises them to ``power`` (> 1: over-confident), renormalised.

    Power p equals softmax(log q * p), so temperature scaling should find T = p exactly.
    """

    def __init__(self, power: float = 1.0) -> None:
        self.power = power

    def fit(self, X: Any, y: Any) -> PoweredTruth:
        self.classes_ = np.array([0, 1, 2])
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        powered = X[COLUMNS].to_numpy() ** self.power
        return np.asarray(powered / powered.sum(axis=1, keepdims=True))

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.predict_proba(X).argmax(axis=1))


def _data(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    truth = ordered_logit_probs(rng.normal(0.0, 1.2, n))
    y = (rng.random(n)[:, None] > truth.cumsum(axis=1)).sum(axis=1)
    return pd.DataFrame(truth, columns=COLUMNS), y


def test_temperature_above_one_for_over_confident_input() -> None:
    X, y = _data(6000, seed=1)
    sharp = PoweredTruth(power=2.0).fit(X, y).predict_proba(X)
    calibrator = TemperatureCalibrator().fit(sharp, y)
    assert calibrator.temperature_ == pytest.approx(2.0, rel=0.15)
    assert log_loss(calibrator.predict_proba(sharp), y) < log_loss(sharp, y)


def test_temperature_below_one_for_under_confident_input() -> None:
    X, y = _data(6000, seed=2)
    flat = PoweredTruth(power=0.5).fit(X, y).predict_proba(X)
    assert TemperatureCalibrator().fit(flat, y).temperature_ < 1.0


def test_temperature_keeps_rows_summing_to_one_and_the_ranking() -> None:
    X, y = _data(500, seed=3)
    probs = PoweredTruth(power=3.0).fit(X, y).predict_proba(X)
    scaled = TemperatureCalibrator().fit(probs, y).predict_proba(probs)
    assert np.allclose(scaled.sum(axis=1), 1.0)
    assert (np.argsort(scaled, axis=1) == np.argsort(probs, axis=1)).all()


def test_temperature_scaled_classifier_wraps_a_fitted_model() -> None:
    X, y = _data(2000, seed=4)
    model = PoweredTruth(power=2.0).fit(X, y)
    wrapped = TemperatureScaledClassifier(model).fit(X, y)
    assert wrapped.temperature_ > 1.0
    assert wrapped.classes_.tolist() == [0, 1, 2]
    assert (wrapped.predict(X) == model.predict(X)).all()


@pytest.mark.parametrize("method", ["auto", "temperature", "isotonic"])
def test_calibration_improves_an_over_confident_model_on_later_matches(method: str) -> None:
    X, y = _data(6000, seed=5)
    model = PoweredTruth(power=2.5).fit(X, y)
    X_cal, y_cal, X_later, y_later = X.iloc[:4000], y[:4000], X.iloc[4000:], y[4000:]
    calibrated, report = calibrate(model, X_cal, y_cal, method=method)
    later = calibrated.predict_proba(X_later)
    assert np.allclose(later.sum(axis=1), 1.0)
    assert log_loss(later, y_later) < log_loss(model.predict_proba(X_later), y_later) - 0.02
    assert report["method"] == ("temperature" if method == "auto" else method)
    assert set(report["candidates"]) == set(CALIBRATION_METHODS)
    assert report["n_fit"] + report["n_select"] == report["n_total"] == 4000


def test_auto_keeps_a_calibrated_model_uncalibrated() -> None:
    X, y = _data(4000, seed=6)
    model = PoweredTruth(power=1.0).fit(X, y)
    calibrated, report = calibrate(model, X, y, method="auto")
    # Exact truth cannot be improved on the held-out half; isotonic overfits, temperature stays near 1.
    assert report["method"] in {"none", "temperature"}
    assert report["candidates"]["none"]["log_loss"] <= report["candidates"]["isotonic"]["log_loss"]
    if report["method"] == "none":
        assert calibrated is model
    else:
        assert report["temperature"] == pytest.approx(1.0, abs=0.1)


def test_choice_is_made_on_the_latest_rows_given_an_order() -> None:
    X, y = _data(1000, seed=7)
    model = PoweredTruth(power=2.0).fit(X, y)
    times = np.random.default_rng(0).permutation(1000)  # row i of X happened at time i; shuffle, keep the times
    _, shuffled = calibrate(model, X.iloc[times], y[times], order=times)
    _, ordered = calibrate(model, X, y)
    assert shuffled["candidates"] == ordered["candidates"]


def test_calibration_split_holds_out_the_latest_season() -> None:
    data = synthetic_matches(n_seasons=3, per_season=50)
    seasons = data.meta["season"].to_numpy()
    fit_idx, cal_idx = calibration_split(seasons)
    assert set(seasons[cal_idx]) == {"1920"} and set(seasons[fit_idx]) == {"1718", "1819"}
    _, two = calibration_split(seasons, n_seasons=2)
    assert set(seasons[two]) == {"1819", "1920"}
    with pytest.raises(ModelError, match="calibration slice"):
        calibration_split(seasons, n_seasons=3)


def test_unknown_method_is_a_config_error() -> None:
    X, y = _data(100, seed=8)
    with pytest.raises(ConfigError, match="platt"):
        calibrate(PoweredTruth().fit(X, y), X, y, method="platt")


def test_a_small_slice_skips_isotonic_in_auto_and_says_why() -> None:
    X, y = _data(600, seed=9)
    model = PoweredTruth(power=2.0).fit(X, y)
    _, report = calibrate(model, X, y, method="auto")
    assert "isotonic" not in report["candidates"]
    assert report["skipped"]["isotonic"] == f"needs at least {MIN_ISOTONIC_ROWS} rows to fit, the slice gives 300"
    assert report["method"] in {"none", "temperature"}


def test_isotonic_never_forecasts_zero() -> None:
    # A tiny slice: isotonic regression maps whole score ranges to 0, which the floor must lift.
    X, y = _data(200, seed=10)
    model = PoweredTruth(power=3.0).fit(X, y)
    calibrated, report = calibrate(model, X, y, method="isotonic")
    assert isinstance(calibrated, FlooredClassifier) and report["method"] == "isotonic"
    probs = calibrated.predict_proba(_data(2000, seed=11)[0])
    assert probs.min() >= PROBABILITY_FLOOR / (1 + 3 * PROBABILITY_FLOOR)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert calibrated.classes_.tolist() == [0, 1, 2]
