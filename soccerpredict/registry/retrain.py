"""When to retrain: enough new finished matches since the champion was registered, or drift flagged.

The rule is pure (:func:`decide_retrain`); the readings at the edge come from the registry (when the
champion was registered), the database (finished matches written since then) and the object store
(the latest published drift summary). The ``retrain`` DAG and ``soccerpredict pipeline should-retrain``
both use it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from soccerpredict.artifacts import ALIAS_CHAMPION, DRIFT_SUMMARY_KEY, MODEL_NAME
from soccerpredict.data.columns import FINISHED
from soccerpredict.data.schema import Match
from soccerpredict.data.store import ObjectStore

__all__ = ["RetrainDecision", "champion_registered_at", "decide_retrain", "finished_since", "published_drift_share"]


@dataclass(frozen=True, slots=True)
class RetrainDecision:
    """Whether to retrain, why, and the readings the rule saw."""

    retrain: bool
    reasons: list[str] = field(default_factory=list)
    champion_version: str | None = None
    new_matches: int = 0
    drifted_share: float | None = None

    def to_json(self) -> str:
        """One JSON line (what `soccerpredict pipeline should-retrain --json` prints and the retrain DAG reads)."""
        return json.dumps(asdict(self), sort_keys=True)


def decide_retrain(
    *,
    champion_version: str | None,
    new_matches: int,
    drifted_share: float | None,
    min_new_matches: int,
    max_drifted_share: float,
) -> RetrainDecision:
    """Retrain when there is no champion, ``new_matches >= min_new_matches``, or drift above the share allowed."""
    reasons = []
    if champion_version is None:
        reasons.append("no champion in the registry")
    if new_matches >= min_new_matches:
        reasons.append(f"{new_matches} finished matches since the champion (threshold {min_new_matches})")
    if drifted_share is not None and drifted_share > max_drifted_share:
        reasons.append(f"drifted feature share {drifted_share:.2f} above {max_drifted_share:.2f}")
    return RetrainDecision(bool(reasons), reasons, champion_version, new_matches, drifted_share)


def champion_registered_at(model_name: str = MODEL_NAME) -> tuple[str, datetime] | None:
    """The champion's version and when it was registered, or None without a champion (tracking URI set by caller)."""
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient

    try:
        version = MlflowClient().get_model_version_by_alias(model_name, ALIAS_CHAMPION)
    except MlflowException:
        return None
    return str(version.version), datetime.fromtimestamp(int(version.creation_timestamp) / 1000, tz=UTC)


def finished_since(engine: Engine, since: datetime | None) -> int:
    """Finished matches written (inserted or corrected) after ``since``; all of them when it is None."""
    stmt = select(func.count()).select_from(Match).where(Match.status == FINISHED)
    if since is not None:
        stmt = stmt.where(Match.updated_at > since)
    with engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def published_drift_share(store: ObjectStore) -> float | None:
    """The drifted feature share of the latest published drift summary, or None when none is published."""
    if not store.exists(DRIFT_SUMMARY_KEY):
        return None
    summary: dict[str, Any] = json.loads(store.read_bytes(DRIFT_SUMMARY_KEY))
    share = summary.get("drifted_share")
    return float(share) if share is not None else None
