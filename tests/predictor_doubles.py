"""TEST DOUBLES for the predictor's in-process tests: a tiny model, a champion loader with a fixed version and an
in-memory prediction cache."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
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


class MemoryCache:
    """The prediction cache's async interface over a dict keyed by (match id, model version); records writes."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[float, ...]] = {}
        self.writes: list[tuple[str, tuple[str, ...]]] = []  # (model version, match ids) per set_many

    async def get_many(self, match_ids: Sequence[str], model_version: str) -> list[tuple[float, ...] | None]:
        return [self.entries.get((m, model_version)) for m in match_ids]

    async def set_many(self, rows: Mapping[str, Iterable[float]], model_version: str) -> None:
        self.writes.append((model_version, tuple(rows)))
        for match_id, probabilities in rows.items():
            self.entries[(match_id, model_version)] = tuple(float(p) for p in probabilities)

    async def delete_version(self, model_version: str) -> int:
        doomed = [key for key in self.entries if key[1] == model_version]
        for key in doomed:
            del self.entries[key]
        return len(doomed)

    def versions(self) -> set[str]:
        """The model versions that have entries."""
        return {version for _, version in self.entries}
