"""The predictor's engine: tree ensembles served through treelite reproduce the logged model, or are not used."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from xgboost import XGBClassifier

from serving.predictor import engine
from serving.predictor.engine import ENGINE_NATIVE, ENGINE_TREELITE, TreeliteClassifier, accelerate, check_rows
from soccerpredict.models.calibration import calibrate

N_FEATURES = 6


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1500, N_FEATURES)).astype(np.float32)
    y = np.digitize(x[:, 0] - 0.5 * x[:, 1] + rng.normal(scale=1.0, size=len(x)), [-0.6, 0.4])
    return x, y


@pytest.fixture(scope="module")
def xgb(data: tuple[np.ndarray, np.ndarray]) -> XGBClassifier:
    x, y = data
    return XGBClassifier(n_estimators=40, max_depth=3, learning_rate=0.1, n_jobs=1).fit(x, y)


def fresh_rows(n: int = 300) -> np.ndarray:
    return np.random.default_rng(99).normal(scale=2.0, size=(n, N_FEATURES)).astype(np.float32)


def test_xgboost_runs_on_treelite_with_the_same_probabilities(
    xgb: XGBClassifier, data: tuple[np.ndarray, np.ndarray]
) -> None:
    served = accelerate(xgb, check_rows(data[0][:2], N_FEATURES))
    assert served.engine == ENGINE_TREELITE
    assert isinstance(served.estimator, TreeliteClassifier)
    rows = fresh_rows()
    np.testing.assert_allclose(served.estimator.predict_proba(rows), xgb.predict_proba(rows), atol=1e-6)
    np.testing.assert_array_equal(served.estimator.predict(rows), xgb.predict(rows))


def test_hist_gradient_boosting_runs_on_treelite(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    hgb = HistGradientBoostingClassifier(max_iter=30, random_state=0).fit(x, y)
    served = accelerate(hgb, check_rows(None, N_FEATURES))
    assert served.engine == ENGINE_TREELITE
    rows = fresh_rows()
    np.testing.assert_allclose(served.estimator.predict_proba(rows), hgb.predict_proba(rows), atol=1e-6)


@pytest.mark.parametrize("method", ["isotonic", "temperature"])
def test_calibration_layers_stay_on_top_of_the_accelerated_trees(
    xgb: XGBClassifier, data: tuple[np.ndarray, np.ndarray], method: str
) -> None:
    x, y = data
    calibrated, report = calibrate(xgb, x[:1200], y[:1200], method=method)
    assert report["method"] == method
    rows = fresh_rows()
    before = calibrated.predict_proba(rows)
    served = accelerate(calibrated, check_rows(x[:5], N_FEATURES))
    assert served.engine == ENGINE_TREELITE
    assert served.estimator is not calibrated
    assert any(isinstance(e, TreeliteClassifier) for e in inner_estimators(served.estimator))
    np.testing.assert_allclose(served.estimator.predict_proba(rows), before, atol=1e-5)
    # The logged model is left as it was: the swap happened on a copy.
    assert not any(isinstance(e, TreeliteClassifier) for e in inner_estimators(calibrated))
    np.testing.assert_array_equal(calibrated.predict_proba(rows), before)


def inner_estimators(estimator: Any) -> list[Any]:
    """Every estimator nested in a calibration wrapper, outermost first."""
    found = [estimator]
    inner = getattr(estimator, "estimator", None)
    if inner is not None:
        found += inner_estimators(inner)
    for calibrated in getattr(estimator, "calibrated_classifiers_", None) or ():
        found += inner_estimators(calibrated.estimator)
    return found


def test_models_without_trees_are_served_as_logged(data: tuple[np.ndarray, np.ndarray]) -> None:
    x, y = data
    logreg = LogisticRegression(max_iter=500).fit(x, y)
    served = accelerate(logreg, check_rows(None, N_FEATURES))
    assert served.engine == ENGINE_NATIVE
    assert served.estimator is logreg
    assert "no tree ensemble" in served.reason


def test_a_treelite_model_that_disagrees_is_not_used(xgb: XGBClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    original = TreeliteClassifier.predict_proba

    def off_by_a_little(self: TreeliteClassifier, X: Any) -> np.ndarray:
        p = original(self, X)
        p[:, 0] += 1e-3
        return p

    monkeypatch.setattr(TreeliteClassifier, "predict_proba", off_by_a_little)
    served = accelerate(xgb, check_rows(None, N_FEATURES))
    assert served.engine == ENGINE_NATIVE
    assert served.estimator is xgb
    assert "differs by 1.00e-03" in served.reason


def test_an_import_failure_serves_the_logged_model(xgb: XGBClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(estimator: Any) -> TreeliteClassifier:
        raise ValueError("unsupported objective")

    monkeypatch.setattr(engine, "_xgboost_to_treelite", broken)
    served = accelerate(xgb, check_rows(None, N_FEATURES))
    assert (served.engine, served.estimator) == (ENGINE_NATIVE, xgb)
    assert "unsupported objective" in served.reason


def test_check_rows_hold_the_example_and_rows_at_several_scales() -> None:
    example = np.arange(2 * N_FEATURES, dtype=np.float64).reshape(2, N_FEATURES)
    rows = check_rows(example, N_FEATURES)
    assert rows.dtype == np.float32 and rows.shape[1] == N_FEATURES
    assert any(np.array_equal(r, example[0]) for r in rows)
    assert np.abs(rows).max() > 1000  # the widest random rows reach past typical rating differences
    np.testing.assert_array_equal(rows, check_rows(example, N_FEATURES))  # deterministic


def test_the_loader_serves_a_registered_calibrated_xgboost_champion_on_treelite(
    mlflow_uri: str, xgb: XGBClassifier, data: tuple[np.ndarray, np.ndarray]
) -> None:
    from serving.predictor.champion import MlflowChampionLoader
    from serving.predictor.protocol import model_metadata
    from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
    from soccerpredict.registry.promotion import set_alias

    x, y = data
    champion_model, _ = calibrate(xgb, x[:1200], y[:1200], method="isotonic")  # the pipeline's final_train shape
    use_tracking(mlflow_uri)  # the fixture puts MLflow's process-wide state back
    frame = pd.DataFrame(fresh_rows(50), columns=[f"f{i}" for i in range(N_FEATURES)])
    version = log_and_register(champion_model, example=frame, params={}, metrics={}, tags={}, artifacts={}).version
    set_alias("champion", version)
    champion = MlflowChampionLoader(mlflow_uri).load(version)
    assert champion.engine == ENGINE_TREELITE
    rows = fresh_rows()
    np.testing.assert_allclose(champion.predict_proba(rows), champion_model.predict_proba(rows), atol=1e-5)
    parameters = model_metadata("soccer-1x2", champion)["parameters"]
    assert (parameters["engine"], parameters["alias"]) == (ENGINE_TREELITE, "champion")  # the alias it followed


@pytest.mark.parametrize("market_blend", [0.0, 0.5])
def test_a_market_anchored_xgboost_runs_on_treelite_with_its_margin_and_blend(
    data: tuple[np.ndarray, np.ndarray], market_blend: float
) -> None:
    from soccerpredict.models.anchored import MARKET_ANCHOR, MARKET_OVERROUND, MarketAnchoredXGBClassifier

    x, y = data
    plain_frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(N_FEATURES)])
    plain = MarketAnchoredXGBClassifier(n_estimators=20, n_jobs=1).fit(plain_frame, y)
    assert accelerate(plain, check_rows(None, N_FEATURES)).engine == ENGINE_TREELITE
    # The market is an additive term on the trees' raw scores (in place of the base score): treelite's raw
    # output plus the log market probabilities, a softmax, then the blend, is the anchored forecast.
    rng = np.random.default_rng(1)
    probs = rng.dirichlet([3, 2, 2], size=len(x)).astype(np.float32)
    probs[:40] = np.nan  # matches without odds start from a uniform margin and skip the blend
    overround = rng.uniform(1.02, 1.12, size=(len(x), 1)).astype(np.float32)
    anchored_x = np.column_stack([x[:, : N_FEATURES - 4], probs, overround])
    columns = [*(f"f{i}" for i in range(N_FEATURES - 4)), *MARKET_ANCHOR, MARKET_OVERROUND]
    anchored = MarketAnchoredXGBClassifier(n_estimators=20, n_jobs=1, market_blend=market_blend).fit(
        pd.DataFrame(anchored_x, columns=columns), y
    )
    assert anchored.anchor_index_ is not None
    served = accelerate(anchored, check_rows(anchored_x[:50], N_FEATURES))
    assert served.engine == ENGINE_TREELITE, served.reason
    assert isinstance(served.estimator, engine.AnchoredTreeliteClassifier)
    rows = np.ascontiguousarray(anchored_x[:300], dtype=np.float32)
    np.testing.assert_allclose(served.estimator.predict_proba(rows), anchored.predict_proba(rows), atol=1e-5)
    # Without the margin swap the forecast would differ: the check is not vacuous.
    plain_softmax = TreeliteClassifier(served.estimator.model, anchored.classes_, N_FEATURES).predict_proba(rows)
    assert np.abs(plain_softmax - anchored.predict_proba(rows)).max() > 1e-3
