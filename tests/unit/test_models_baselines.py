"""Baselines: per-division base rates, the one-column Elo logit and pass-through probability columns."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from test_models_synthetic import synthetic_matches

from soccerpredict.errors import ModelError
from soccerpredict.models.baselines import ClimatologyBaseline, EloLogitBaseline, ProbabilityColumnsBaseline
from soccerpredict.models.metrics import log_loss

ALL_BASELINES = [ClimatologyBaseline(), EloLogitBaseline(), ProbabilityColumnsBaseline(columns=("a", "b", "c"))]


def _frame() -> tuple[pd.DataFrame, np.ndarray]:
    data = synthetic_matches(n_seasons=2, per_season=300, seed=5)
    X = data.X.assign(div=data.meta["div"].to_numpy())
    X[["a", "b", "c"]] = data.true_probs
    return X, data.y


@pytest.mark.parametrize("estimator", ALL_BASELINES, ids=lambda e: type(e).__name__)
def test_baselines_follow_the_sklearn_contract(estimator: ClimatologyBaseline) -> None:
    X, y = _frame()
    with pytest.raises(NotFittedError):
        clone(estimator).predict_proba(X)
    fitted = clone(estimator)
    assert fitted.fit(X, y) is fitted
    probs = fitted.predict_proba(X)
    assert probs.shape == (len(X), 3)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert fitted.classes_.tolist() == [0, 1, 2]
    assert set(fitted.predict(X)) <= {0, 1, 2}
    assert clone(fitted).get_params() == fitted.get_params()


def test_climatology_learns_per_division_rates() -> None:
    X = pd.DataFrame({"div": ["E0"] * 4 + ["I1"] * 4})
    y = np.array([0, 0, 1, 2, 1, 1, 1, 0])
    model = ClimatologyBaseline(prior_strength=0.0).fit(X, y)
    probs = model.predict_proba(pd.DataFrame({"div": ["E0", "I1"]}))
    assert probs.tolist() == [[0.5, 0.25, 0.25], [0.25, 0.75, 0.0]]


def test_climatology_gives_global_rates_to_an_unseen_division() -> None:
    X = pd.DataFrame({"div": ["E0", "E0", "I1", "I1"]})
    model = ClimatologyBaseline().fit(X, [0, 1, 0, 2])
    assert model.predict_proba(pd.DataFrame({"div": ["SP1"]}))[0].tolist() == [0.5, 0.25, 0.25]


def test_climatology_shrinks_small_divisions_towards_global_rates() -> None:
    X = pd.DataFrame({"div": ["E0"] * 8 + ["I1"]})
    y = np.array([0, 0, 0, 0, 1, 1, 2, 2, 1])
    shrunk = ClimatologyBaseline(prior_strength=10.0).fit(X, y).predict_proba(pd.DataFrame({"div": ["I1"]}))[0]
    assert shrunk[0] > 0.0 and shrunk[1] < 1.0  # one draw does not make I1 a certain draw


def test_elo_logit_beats_climatology_and_rises_with_elo() -> None:
    X, y = _frame()
    elo = EloLogitBaseline().fit(X, y)
    assert log_loss(elo.predict_proba(X), y) < log_loss(ClimatologyBaseline().fit(X, y).predict_proba(X), y)
    grid = pd.DataFrame({"elo_diff": [-300.0, 0.0, 300.0]})
    home = elo.predict_proba(grid)[:, 0]
    assert home[0] < home[1] < home[2]


def test_elo_logit_reads_a_configurable_column_and_fills_missing() -> None:
    X, y = _frame()
    model = EloLogitBaseline(column="rating_gap").fit(X.rename(columns={"elo_diff": "rating_gap"}), y)
    probs = model.predict_proba(pd.DataFrame({"rating_gap": [np.nan, model.fill_value_]}))
    assert np.allclose(probs[0], probs[1])


def test_probability_columns_are_renormalised_and_missing_rows_fall_back() -> None:
    X = pd.DataFrame({"a": [0.5, np.nan], "b": [0.3, 0.3], "c": [0.3, 0.3]})
    model = ProbabilityColumnsBaseline(columns=("a", "b", "c")).fit(X, [0, 2])
    probs = model.predict_proba(X)
    assert probs[0] == pytest.approx(np.array([0.5, 0.3, 0.3]) / 1.1)
    assert probs[1].tolist() == [0.5, 0.0, 0.5]


def test_missing_columns_are_a_model_error() -> None:
    with pytest.raises(ModelError, match="elo_diff"):
        EloLogitBaseline().fit(pd.DataFrame({"x": [1.0, 2.0, 3.0]}), [0, 1, 2])
    with pytest.raises(ModelError, match="div"):
        ClimatologyBaseline().fit(np.zeros((3, 1)), [0, 1, 2])


def test_labels_outside_the_outcomes_are_rejected() -> None:
    with pytest.raises(ModelError, match="labels"):
        ClimatologyBaseline().fit(pd.DataFrame({"div": ["E0"]}), [3])


def test_invalid_parameters_fail_on_fit() -> None:
    with pytest.raises(InvalidParameterError):
        ClimatologyBaseline(prior_strength=-1.0).fit(pd.DataFrame({"div": ["E0"]}), [0])
    with pytest.raises(InvalidParameterError):
        EloLogitBaseline(C=0.0).fit(pd.DataFrame({"elo_diff": [1.0]}), [0])
