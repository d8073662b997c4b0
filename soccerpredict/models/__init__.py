"""Models layer: metrics, baselines, candidate estimators, tuning, selection, calibration, backtest, model card.

Names are loaded lazily on first access, so ``import soccerpredict.models.metrics`` (numpy only) stays
fast for light users such as the API and dashboards; xgboost, optuna and matplotlib are imported only by
the functions that need them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from soccerpredict.lazy import lazy_exports

if TYPE_CHECKING:
    from soccerpredict.models.backtest import (
        BootstrapDiff,
        FitPredict,
        leak_check,
        paired_bootstrap_diff,
        report_by_group,
        walk_forward,
    )
    from soccerpredict.models.baselines import ClimatologyBaseline, EloLogitBaseline, ProbabilityColumnsBaseline
    from soccerpredict.models.calibration import (
        CALIBRATION_METHODS,
        TemperatureCalibrator,
        TemperatureScaledClassifier,
        calibrate,
        calibration_split,
    )
    from soccerpredict.models.card import render_model_card
    from soccerpredict.models.estimators import DEFAULT_PARAMS, MODEL_NAMES, SEARCH_SPACES, make_estimator
    from soccerpredict.models.metrics import CLASSES, METRICS, PROB_COLUMNS, evaluate
    from soccerpredict.models.select import select_model
    from soccerpredict.models.tuning import TuneResult, season_folds, tune

__all__ = [
    "CALIBRATION_METHODS",
    "CLASSES",
    "DEFAULT_PARAMS",
    "METRICS",
    "MODEL_NAMES",
    "PROB_COLUMNS",
    "SEARCH_SPACES",
    "BootstrapDiff",
    "ClimatologyBaseline",
    "EloLogitBaseline",
    "FitPredict",
    "ProbabilityColumnsBaseline",
    "TemperatureCalibrator",
    "TemperatureScaledClassifier",
    "TuneResult",
    "calibrate",
    "calibration_split",
    "evaluate",
    "leak_check",
    "make_estimator",
    "paired_bootstrap_diff",
    "render_model_card",
    "report_by_group",
    "season_folds",
    "select_model",
    "tune",
    "walk_forward",
]

#: Submodule -> the names it contributes (a test checks this matches __all__).
_EXPORTS = {
    "backtest": (
        "BootstrapDiff",
        "FitPredict",
        "leak_check",
        "paired_bootstrap_diff",
        "report_by_group",
        "walk_forward",
    ),
    "baselines": ("ClimatologyBaseline", "EloLogitBaseline", "ProbabilityColumnsBaseline"),
    "calibration": (
        "CALIBRATION_METHODS",
        "TemperatureCalibrator",
        "TemperatureScaledClassifier",
        "calibrate",
        "calibration_split",
    ),
    "card": ("render_model_card",),
    "estimators": ("DEFAULT_PARAMS", "MODEL_NAMES", "SEARCH_SPACES", "make_estimator"),
    "metrics": ("CLASSES", "METRICS", "PROB_COLUMNS", "evaluate"),
    "select": ("select_model",),
    "tuning": ("TuneResult", "season_folds", "tune"),
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
