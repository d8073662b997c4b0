"""Modelling stages: baselines, tuning per candidate, selection, final training with calibration."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from components.features import LABEL
from soccerpredict.params import CalibrationParams, TuningParams

__all__ = [
    "classification_models",
    "final_train",
    "load_xy",
    "select_model",
    "tune_hgb",
    "tune_logreg",
    "tune_xgb",
]

BASELINES = ("climatology", "elo_logit", "goals_model", "market")


def load_xy(table: Path, feature_list: Path) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Rows in time order, the model's feature matrix, and the labels (NaN for fixtures)."""
    frame = pd.read_parquet(table).sort_values(["date", "match_id"], kind="stable").reset_index(drop=True)
    columns = json.loads(feature_list.read_text())["columns"]
    X = frame[columns].astype("float64")
    y = frame[LABEL].to_numpy(dtype="float64")
    return frame, X, y


def baseline_probabilities(train: pd.DataFrame, test: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each baseline's H/D/A probabilities for the test rows, fitted on the training rows only."""
    from soccerpredict.features.devig import BENCHMARK_COLUMNS, market_benchmark_probs
    from soccerpredict.models.baselines import ClimatologyBaseline, EloLogitBaseline, ProbabilityColumnsBaseline

    y = train[LABEL].to_numpy(dtype=int)
    goals = ["gm_p_home", "gm_p_draw", "gm_p_away"]
    out = {
        "climatology": ClimatologyBaseline().fit(train, y).predict_proba(test),
        "elo_logit": EloLogitBaseline().fit(train, y).predict_proba(test),
        "market": market_benchmark_probs(test)[list(BENCHMARK_COLUMNS)].to_numpy(dtype=float),
    }
    if set(goals) <= set(test.columns):
        out["goals_model"] = ProbabilityColumnsBaseline(columns=goals).fit(train, y).predict_proba(test)
    return out


def classification_models(*, train: Path, test: Path, baselines: Path, baseline_predictions: Path) -> dict[str, Any]:
    """Fit the baselines on the training seasons and score them on the test seasons."""
    from soccerpredict.models.metrics import evaluate

    train_rows, test_rows = pd.read_parquet(train), pd.read_parquet(test)
    y_test = test_rows[LABEL].to_numpy(dtype=int)
    probs = baseline_probabilities(train_rows, test_rows)
    scores: dict[str, Any] = {}
    predictions = test_rows[["match_id"]].copy()
    for name, p in probs.items():
        known = np.isfinite(p).all(axis=1)
        scores[name] = {**evaluate(p[known], y_test[known]), "n": int(known.sum())}
        for k, outcome in enumerate(("home", "draw", "away")):
            predictions[f"{name}_p_{outcome}"] = p[:, k]
    baselines.write_text(json.dumps(scores, indent=2))
    predictions.to_parquet(baseline_predictions, index=False)
    return {name: round(s["rps"], 4) for name, s in scores.items()}


def _tune(name: str, train: Path, feature_list: Path, result: Path, tuning: TuningParams) -> dict[str, Any]:
    from soccerpredict.models.tuning import tune

    if name not in tuning.models:
        result.write_text(json.dumps({"name": name, "skipped": True}))
        return {"skipped": True}
    frame, X, y = load_xy(train, feature_list)
    outcome = tune(
        name,
        X,
        y.astype(int),
        frame["season"].astype(str),
        n_trials=tuning.trials_for(name),
        max_seconds=tuning.max_seconds,
        seed=tuning.seed,
        progress=True,
        n_folds=tuning.n_folds,
        train_seasons=tuning.train_seasons,
    )
    result.write_text(json.dumps(outcome.to_dict(), indent=2, default=float))
    return {"cv_log_loss": round(outcome.cv_log_loss_mean, 5), "trials": len(outcome.trials)}


def tune_xgb(*, train: Path, feature_list: Path, tuning_xgb: Path, tuning: TuningParams) -> dict[str, Any]:
    """Tune XGBoost with season folds."""
    return _tune("xgb", train, feature_list, tuning_xgb, tuning)


def tune_hgb(*, train: Path, feature_list: Path, tuning_hgb: Path, tuning: TuningParams) -> dict[str, Any]:
    """Tune HistGradientBoosting with season folds."""
    return _tune("hgb", train, feature_list, tuning_hgb, tuning)


def tune_logreg(*, train: Path, feature_list: Path, tuning_logreg: Path, tuning: TuningParams) -> dict[str, Any]:
    """Tune the multinomial logistic regression with season folds."""
    return _tune("logreg", train, feature_list, tuning_logreg, tuning)


def select_model(*, tuning_xgb: Path, tuning_hgb: Path, tuning_logreg: Path, selection: Path) -> dict[str, Any]:
    """Pick the candidate with the lowest cross-validated log-loss."""
    from soccerpredict.errors import PipelineError
    from soccerpredict.models.report import SelectionReport
    from soccerpredict.models.select import select_model as choose
    from soccerpredict.models.tuning import TuneResult

    results = {}
    for path in (tuning_xgb, tuning_hgb, tuning_logreg):
        raw = json.loads(path.read_text())
        if not raw.get("skipped"):
            results[raw["name"]] = TuneResult(**raw)
    if not results:
        raise PipelineError("select_model: every candidate was skipped; enable at least one in tuning.models")
    best = choose(results)
    chosen = results[best]
    summary = {
        "model": best,
        "params": chosen.best_params,
        "cv_log_loss": chosen.cv_log_loss_mean,
        "candidates": {n: r.to_dict() for n, r in results.items()},
        "seed": chosen.seed,
    }
    # Through JSON first (numpy scalars become floats, as always), then the one schema checks the result.
    SelectionReport.from_json(json.dumps(summary, default=float), source=str(selection)).write(selection)
    return {"model": best, "cv_log_loss": round(chosen.cv_log_loss_mean, 5)}


def final_train(
    *,
    train: Path,
    feature_list: Path,
    selection: Path,
    model: Path,
    calibration_report: Path,
    calibration: CalibrationParams,
) -> dict[str, Any]:
    """Fit the selected model on all but the latest training season(s), then calibrate on those."""
    from soccerpredict.models.calibration import calibrate, calibration_split
    from soccerpredict.models.estimators import make_estimator
    from soccerpredict.models.report import SelectionReport

    chosen = SelectionReport.read(selection)
    frame, X, y = load_xy(train, feature_list)
    labels = y.astype(int)
    fit_idx, cal_idx = calibration_split(frame["season"].astype(str), calibration.seasons)
    base = make_estimator(chosen.model, chosen.params, seed=chosen.seed)
    base.fit(X.iloc[fit_idx], labels[fit_idx])
    calibrated, report = calibrate(
        base, X.iloc[cal_idx], labels[cal_idx], calibration.method, order=frame["date"].iloc[cal_idx]
    )
    joblib.dump(calibrated, model)
    report.update({"model": chosen.model, "fit_rows": len(fit_idx), "calibration_rows": len(cal_idx)})
    calibration_report.write_text(json.dumps(report, indent=2, default=float))
    return {"model": chosen.model, "calibration": report["method"]}
