"""TEST DOUBLES for the predictor's in-process tests: a tiny model and a champion loader with a fixed version."""

from __future__ import annotations

from typing import Any

import numpy as np


class Linear:
    """Probabilities that depend on the first feature, so rows are told apart."""

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        p_home = 1 / (1 + np.exp(-x[:, 0]))
        return np.column_stack([p_home * 0.8, np.full(len(x), 0.2), (1 - p_home) * 0.8])


class StaticLoader:
    """Resolves ``@champion`` to ``version`` (set it to swap; None: no champion) and loads a :class:`Linear` one."""

    uri = "models:/soccer-1x2@champion"

    def __init__(self, version: str | None = "1", features: tuple[str, ...] = ("a", "b"), **champion: Any) -> None:
        self.version = version
        self.features = features
        self.champion = champion  # extra Champion fields: evaluation, promoted_at

    def resolve(self) -> str | None:
        return self.version

    def load(self, version: str) -> Any:
        from serving.predictor.champion import Champion

        return Champion(version, self.features, Linear(), **self.champion)
