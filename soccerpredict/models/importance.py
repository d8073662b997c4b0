"""Permutation importance of a fitted forecaster: how much its log-loss grows when one feature is shuffled."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = ["permutation_importances"]


def permutation_importances(
    model: Any, X: pd.DataFrame, y: ArrayLike, *, seed: int, max_rows: int = 3000, n_repeats: int = 3
) -> list[dict[str, Any]]:
    """Per feature, the mean and standard deviation over ``n_repeats`` of the log-loss increase, largest first.

    At most ``max_rows`` rows (a seeded random sample) are scored, which bounds the cost on a large test set.
    """
    from sklearn.inspection import permutation_importance

    labels = np.asarray(y).astype(int)
    sample = np.random.default_rng(seed).permutation(len(X))[:max_rows]
    result = permutation_importance(
        model,
        X.iloc[sample],
        labels[sample],
        scoring="neg_log_loss",
        n_repeats=n_repeats,
        random_state=seed,
        n_jobs=1,
    )
    ranked = sorted(
        zip(X.columns, result.importances_mean, result.importances_std, strict=True), key=lambda item: -item[1]
    )
    return [{"feature": f, "log_loss_increase": float(m), "std": float(s)} for f, m, s in ranked]
