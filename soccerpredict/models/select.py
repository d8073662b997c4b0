"""Pick the model to ship from the tuning results: lowest cross-validated log-loss, ties to the simpler model."""

from __future__ import annotations

from collections.abc import Mapping

from soccerpredict.errors import ModelError
from soccerpredict.models.estimators import MODEL_NAMES
from soccerpredict.models.tuning import TuneResult

__all__ = ["select_model"]


def _simplicity(name: str) -> tuple[int, str]:
    """Rank by :data:`MODEL_NAMES` (logreg < hgb < xgb); unknown names come last, alphabetically."""
    return (MODEL_NAMES.index(name) if name in MODEL_NAMES else len(MODEL_NAMES), name)


def select_model(results: Mapping[str, TuneResult], *, tolerance: float = 1e-4) -> str:
    """Name of the model with the lowest mean CV log-loss.

    Models within ``tolerance`` of the best count as tied; among them the simplest wins, in the order
    ``logreg`` < ``hgb`` < ``xgb`` (:data:`MODEL_NAMES`): a linear model is cheaper to serve and explain.
    """
    if not results:
        raise ModelError("no tuning results to select from; tune at least one model")
    best = min(result.cv_log_loss_mean for result in results.values())
    tied = [name for name, result in results.items() if result.cv_log_loss_mean <= best + tolerance]
    return min(tied, key=_simplicity)
