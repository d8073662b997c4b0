"""Feature drift with Evidently 0.7: per-feature score, method, threshold and a drifted flag, plus the HTML report.

Evidently picks the test per column and sample size (K-S / chi-square p-values for small samples,
Wasserstein / Jensen-Shannon distances for large ones), so "drifted" is read per method: a p-value
below its threshold, or a distance at or above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from soccerpredict.errors import DataError

__all__ = ["DriftResult", "FeatureDrift", "compute_drift", "is_drifted", "spread_columns"]


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """Drift of one feature."""

    feature: str
    score: float
    method: str
    threshold: float
    drifted: bool


@dataclass(slots=True)
class DriftResult:
    """Drift of every feature, the drifted share, and the sizes compared."""

    features: list[FeatureDrift]
    drifted_share: float
    reference_rows: int
    current_rows: int
    html: str = field(default="", repr=False)
    #: features left out: no value in the reference or in the current window (nothing to compare)
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary (no HTML)."""
        return {
            "drifted_share": self.drifted_share,
            "drifted_features": [f.feature for f in self.features if f.drifted],
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
            "features": [asdict(f) for f in self.features],
            "skipped_features": list(self.skipped),
        }


def spread_columns(columns: Sequence[str], max_columns: int | None) -> list[str]:
    """At most ``max_columns`` of ``columns``, evenly spaced so every feature group keeps a share (in order)."""
    names = list(columns)
    if max_columns is None or len(names) <= max_columns:
        return names
    step = len(names) / max_columns
    return [names[int(i * step)] for i in range(max_columns)]


def is_drifted(score: float, threshold: float, method: str) -> bool:
    """Evidently's reading of a score: a p-value (``method`` names one) below its threshold, or a distance at or
    above it."""
    return score < threshold if "p_value" in method else score >= threshold


def compute_drift(reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str]) -> DriftResult:
    """Compare the current feature distribution with the reference (training) distribution."""
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    usable = [c for c in columns if reference[c].notna().any() and current[c].notna().any()]
    if not usable:
        raise DataError(
            f"no feature of {len(columns)} has values in both the reference ({len(reference)} rows) and the current "
            f"window ({len(current)} rows): nothing to compare"
        )
    definition = DataDefinition(numerical_columns=usable)
    snapshot = Report([DataDriftPreset()]).run(
        current_data=Dataset.from_pandas(current[usable].astype("float64"), data_definition=definition),
        reference_data=Dataset.from_pandas(reference[usable].astype("float64"), data_definition=definition),
    )
    features = []
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if config["type"].endswith("ValueDrift"):
            score, threshold, method = float(metric["value"]), float(config["threshold"]), str(config["method"])
            drifted = is_drifted(score, threshold, method)
            features.append(FeatureDrift(config["column"], score, method, threshold, drifted))
    share = sum(f.drifted for f in features) / len(features) if features else 0.0
    html = snapshot.get_html_str(as_iframe=False)
    skipped = [c for c in columns if c not in usable]
    return DriftResult(features, share, len(reference), len(current), html, skipped)
