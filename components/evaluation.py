"""Evaluation stages: held-out test against baselines and the closing market, walk-forward backtest, importance."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from components.modelling import load_xy
from soccerpredict.models.report import BacktestReport, EvaluationReport, SelectionReport
from soccerpredict.params import BacktestParams, EvaluateParams

__all__ = ["backtest", "evaluate", "explain", "quality_gate"]

PROBS = ("p_home", "p_draw", "p_away")
#: Test rows permutation importance scores at most (a seeded sample).
_IMPORTANCE_ROWS = 3000


def _baseline_probs(predictions: pd.DataFrame, name: str) -> np.ndarray:
    return predictions[[f"{name}_p_home", f"{name}_p_draw", f"{name}_p_away"]].to_numpy(dtype=float)


def _paired(model_scores: np.ndarray, other_scores: np.ndarray, params: EvaluateParams) -> dict[str, float]:
    from soccerpredict.models.backtest import paired_bootstrap_diff

    known = np.isfinite(other_scores)
    diff = paired_bootstrap_diff(model_scores[known], other_scores[known], n_boot=params.n_bootstrap, seed=params.seed)
    return {"rps_diff": diff.mean_diff, "lo": diff.lo, "hi": diff.hi, "n": int(known.sum())}


def quality_gate(
    comparisons: dict[str, dict[str, float]], significant_against: Sequence[str] = ("climatology",)
) -> dict[str, Any]:
    """Candidate quality: lower mean RPS than every non-market baseline; significantly lower (paired CI upper
    bound below 0) than those in ``significant_against``."""
    rules = {
        name: ("significant" if name in significant_against else "mean") for name in comparisons if name != "market"
    }
    beaten = {
        name: (c["hi"] < 0 if rules[name] == "significant" else c["rps_diff"] < 0)
        for name, c in comparisons.items()
        if name in rules
    }
    return {"passed": bool(beaten) and all(beaten.values()), "beats": beaten, "rules": rules}


def evaluate(
    *,
    model: Path,
    test: Path,
    feature_list: Path,
    baseline_predictions: Path,
    selection: Path,
    calibration_report: Path,
    split_summary: Path,
    backtest_plots: Path,
    importance_plots: Path,
    evaluation: Path,
    metrics: Path,
    card: Path,
    test_predictions: Path,
    evaluate: EvaluateParams,
) -> dict[str, Any]:
    """Score the final model on the test seasons; compare with each baseline and the closing market.

    The model card embeds the backtest's and the importance plots (copied next to it) besides its own.
    """
    from soccerpredict.models.backtest import leak_check, report_by_group
    from soccerpredict.models.card import render_model_card
    from soccerpredict.models.metrics import evaluate as score
    from soccerpredict.models.metrics import per_row_rps

    frame, X, y = load_xy(test, feature_list)
    labels = y.astype(int)
    probs = joblib.load(model).predict_proba(X)
    preds = frame[["match_id", "div", "season", "date"]].copy()
    preds[list(PROBS)] = probs
    preds["y"] = labels
    preds.to_parquet(test_predictions, index=False)

    base = pd.read_parquet(baseline_predictions).set_index("match_id").loc[frame["match_id"]]
    model_rps = per_row_rps(probs, labels)
    results = {"model": score(probs, labels)}
    comparisons = {}
    for name in sorted({c.rsplit("_p_", 1)[0] for c in base.columns}):
        other = _baseline_probs(base, name)
        known = np.isfinite(other).all(axis=1)
        results[name] = {**score(other[known], labels[known]), "n": int(known.sum())}
        other_rps = np.where(known, per_row_rps(np.nan_to_num(other, nan=1 / 3), labels), np.nan)
        comparisons[name] = _paired(model_rps, other_rps, evaluate)
    market = _baseline_probs(base, "market")
    by_div = report_by_group(
        preds.reset_index(drop=True), market, by=("div",), n_boot=evaluate.n_bootstrap, seed=evaluate.seed
    )
    on_market = np.isfinite(market).all(axis=1)
    warnings = leak_check(
        float(model_rps[on_market].mean()),
        float(per_row_rps(market[on_market], labels[on_market]).mean()),
        evaluate.leak_tolerance,
    )
    gate = quality_gate(comparisons, evaluate.significant_against)
    chosen = SelectionReport.read(selection)
    split = json.loads(split_summary.read_text())
    overall = report_by_group(
        preds.reset_index(drop=True), market, by=(), n_boot=evaluate.n_bootstrap, seed=evaluate.seed
    ).to_dict(orient="records")[0]
    raw = {
        "model_name": chosen.model,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "track": json.loads(feature_list.read_text())["track"],
        "data": {
            **split,
            "n_train": split["train_matches"],
            "n_test": split["test_matches"],
            "divisions": sorted(frame["div"].unique().tolist()),
            "date_from": str(frame["date"].min().date()),
            "date_to": str(frame["date"].max().date()),
        },
        "metrics": results,
        "model_key": "model",
        "benchmark_key": "market",
        "overall": overall,
        "comparisons": comparisons,
        "by_division": by_div.to_dict(orient="records"),
        "calibration": json.loads(calibration_report.read_text()),
        "tuning": chosen.candidates,
        "params": chosen.params,
        "quality_gate": gate,
        "warnings": warnings,
    }
    # Through JSON first: numpy scalars and timestamps become plain values, then the one schema checks the result.
    report = EvaluationReport.from_json(json.dumps(raw, default=_json), source=str(evaluation))
    report.write(evaluation)
    metrics.write_text(json.dumps({k: round(v, 6) for k, v in results["model"].items()}, indent=2))
    figures = {"backtest_plots": _pngs(backtest_plots), "importance_plots": _pngs(importance_plots)}
    render_model_card(
        {**report.model_dump(exclude_unset=True), "predictions": preds, "benchmark_probs": market, **figures},
        out_dir=card,
    )
    return {
        "rps": round(results["model"]["rps"], 4),
        "market_rps": round(results["market"]["rps"], 4),
        "quality_gate": gate["passed"],
        "warnings": len(warnings),
    }


def _pngs(folder: Path) -> list[tuple[str, Path]]:
    """The PNGs a plotting stage wrote with their titles: the differences to the market first, then by name."""
    from soccerpredict.models.plots import plot_title

    pngs = sorted(folder.glob("*.png"), key=lambda path: (path.stem.startswith("reliability"), path.stem))
    return [(plot_title(path.stem), path) for path in pngs]


def _json(value: Any) -> Any:
    if isinstance(value, (np.generic,)):
        return value.item()
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.isoformat()
    return str(value)


def backtest(
    *,
    feature_table: Path,
    feature_list: Path,
    selection: Path,
    backtest_report: Path,
    backtest_plots: Path,
    backtest: BacktestParams,
    evaluate: EvaluateParams,
) -> dict[str, Any]:
    """Walk forward: each backtest season is predicted by the selected model trained on all earlier seasons.

    ``backtest_plots`` (a folder) gets the model-minus-market plots by season and division and the
    reliability diagram, each PNG with its data as CSV (the ``plots:`` of dvc.yaml).
    """
    from soccerpredict.features.devig import BENCHMARK_COLUMNS, market_benchmark_probs
    from soccerpredict.models.backtest import report_by_group, walk_forward
    from soccerpredict.models.estimators import make_estimator
    from soccerpredict.models.plots import MODEL_LABEL, write_backtest_plots

    chosen = SelectionReport.read(selection)
    frame, X, y = load_xy(feature_table, feature_list)
    done = frame["status"].eq("finished").to_numpy()
    frame, X, labels = frame[done].reset_index(drop=True), X[done].reset_index(drop=True), y[done].astype(int)

    def fit_predict(X_train, y_train, meta_train, X_test, meta_test):  # type: ignore[no-untyped-def]
        estimator = make_estimator(chosen.model, chosen.params, seed=chosen.seed)
        return estimator.fit(X_train, y_train).predict_proba(X_test)

    preds = walk_forward(fit_predict, X, labels, frame, backtest.seasons, progress=True)
    market = market_benchmark_probs(frame.iloc[preds["row"].to_numpy()])[list(BENCHMARK_COLUMNS)].to_numpy()
    table = report_by_group(preds, market, by=("div", "season"), n_boot=evaluate.n_bootstrap, seed=evaluate.seed)
    overall = report_by_group(preds, market, by=(), n_boot=evaluate.n_bootstrap, seed=evaluate.seed)
    raw = {
        "model": chosen.model,
        "seasons": backtest.seasons,
        "overall": overall.to_dict(orient="records")[0],
        "by_division_season": table.to_dict(orient="records"),
    }
    # Through JSON first: numpy scalars and timestamps become plain values, then the one schema checks the result.
    report = BacktestReport.from_json(json.dumps(raw, default=_json), source=str(backtest_report))
    report.write(backtest_report)
    write_backtest_plots({MODEL_LABEL: preds}, market, backtest_plots, n_boot=evaluate.n_bootstrap, seed=evaluate.seed)
    row = report.overall
    market_rps = float("nan") if row.bench_rps is None else row.bench_rps
    return {"rps": round(row.rps, 4), "market_rps": round(market_rps, 4), "matches": row.n}


def explain(
    *,
    model: Path,
    test: Path,
    feature_list: Path,
    importance: Path,
    importance_plots: Path,
    evaluate: EvaluateParams,
) -> dict[str, Any]:
    """Permutation importance (increase in log-loss when a feature is shuffled) on the test seasons.

    ``importance_plots`` (a folder) gets the plot of the top features and its data as CSV.
    """
    from soccerpredict.models.importance import permutation_importances
    from soccerpredict.models.plots import write_importance_plot

    _frame, X, y = load_xy(test, feature_list)
    rows = permutation_importances(joblib.load(model), X, y, seed=evaluate.seed, max_rows=_IMPORTANCE_ROWS)
    importance.write_text(json.dumps({"rows": min(len(X), _IMPORTANCE_ROWS), "importance": rows}, indent=2))
    write_importance_plot(rows, importance_plots)
    return {"top": [r["feature"] for r in rows[:5]]}
