"""TEST DOUBLES: an ``evaluation.json`` as the evaluate stage writes it (every key it always writes), small, and a
``backtest.json`` as the backtest stage writes it.

The schemas are :class:`soccerpredict.models.report.EvaluationReport` and
:class:`~soccerpredict.models.report.BacktestReport`; tests override what they are about.
"""

from __future__ import annotations

import copy
from typing import Any

REPORT: dict[str, Any] = {
    "model_name": "xgb",
    "created": "2024-08-15T21:03:11+00:00",
    "track": "pre_match",
    "data": {
        "train_seasons": ["2122", "2223"],
        "test_seasons": ["2324"],
        "train_matches": 1520,
        "test_matches": 760,
        "n_train": 1520,
        "n_test": 760,
        "divisions": ["E0", "SP1"],
        "date_from": "2023-08-11",
        "date_to": "2024-05-26",
    },
    "metrics": {
        "model": {"rps": 0.1968, "log_loss": 0.981, "brier": 0.582, "accuracy": 0.512, "ece": 0.019},
        "climatology": {"rps": 0.2229, "log_loss": 1.068, "brier": 0.655, "accuracy": 0.447, "ece": 0.008, "n": 760},
        "elo_logit": {"rps": 0.2011, "log_loss": 0.992, "brier": 0.591, "accuracy": 0.503, "ece": 0.021, "n": 760},
        "market": {"rps": 0.1951, "log_loss": 0.975, "brier": 0.578, "accuracy": 0.518, "ece": 0.014, "n": 744},
    },
    "model_key": "model",
    "benchmark_key": "market",
    "overall": {"n": 744, "rps": 0.1968, "bench_rps": 0.1951, "rps_diff": 0.0017},
    "comparisons": {
        "climatology": {"rps_diff": -0.0261, "lo": -0.0285, "hi": -0.0238, "n": 760},
        "elo_logit": {"rps_diff": -0.0043, "lo": -0.0061, "hi": -0.0025, "n": 760},
        "market": {"rps_diff": 0.0017, "lo": 0.0004, "hi": 0.0031, "n": 744},
    },
    "by_division": [{"div": "E0", "n": 380, "rps": 0.1954}],
    "calibration": {"method": "temperature", "temperature": 1.08},
    "tuning": {"xgb": {"best_log_loss": 0.979}},
    "params": {"max_depth": 3},
    "quality_gate": {
        "passed": True,
        "beats": {"climatology": True, "elo_logit": True},
        "rules": {"climatology": "significant", "elo_logit": "mean"},
    },
    "warnings": [],
}


def _scores(n: int, rps: float, bench_rps: float, lo: float, hi: float) -> dict[str, Any]:
    """One backtest row as report_by_group writes it (the metrics other than the RPS shortened)."""
    return {
        "n": n,
        "rps": rps,
        "log_loss": 0.98,
        "brier": 0.58,
        "accuracy": 0.51,
        "ece": 0.02,
        "n_bench": n,
        "bench_rps": bench_rps,
        "bench_log_loss": 0.975,
        "bench_brier": 0.578,
        "bench_accuracy": 0.52,
        "bench_ece": 0.014,
        "rps_diff": round(rps - bench_rps, 4),
        "rps_diff_lo": lo,
        "rps_diff_hi": hi,
    }


BACKTEST: dict[str, Any] = {
    "model": "xgb",
    "seasons": ["2223", "2324"],
    "overall": _scores(1520, 0.1972, 0.1955, 0.0008, 0.0026),
    "by_division_season": [
        {"div": "E0", "season": "2223", **_scores(380, 0.1961, 0.1949, -0.0004, 0.0028)},
        {"div": "SP1", "season": "2223", **_scores(380, 0.1990, 0.1968, 0.0005, 0.0039)},
        {"div": "E0", "season": "2324", **_scores(380, 0.1954, 0.1941, -0.0003, 0.0029)},
        {"div": "SP1", "season": "2324", **_scores(380, 0.1983, 0.1962, 0.0004, 0.0038)},
    ],
}


def report(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of :data:`REPORT` with top-level keys replaced."""
    return {**copy.deepcopy(REPORT), **overrides}
