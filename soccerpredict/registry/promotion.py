"""The promotion policy: ``smoke`` -> ``candidate`` (beats the baselines) -> ``champion`` (beats the champion).

A candidate replaces the champion only when it is better on the same held-out matches with a paired
bootstrap interval of the RPS difference that lies wholly below zero. A human can force a version to
champion or reject one; rejected versions are tagged and never promoted automatically.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from soccerpredict.artifacts import ALIAS_CANDIDATE, ALIAS_CHAMPION, MODEL_NAME
from soccerpredict.errors import RegistryError

__all__ = [
    "ChampionDecision",
    "alias_version",
    "decide_champion",
    "list_versions",
    "promoted_at_tag",
    "reject_version",
    "set_alias",
]

REJECTED_TAG = "rejected"


@dataclass(frozen=True, slots=True)
class ChampionDecision:
    """Whether the candidate becomes champion, and the evidence."""

    promote: bool
    reason: str
    rps_diff: float | None = None  # candidate minus champion: negative = candidate better
    lo: float | None = None
    hi: float | None = None
    n: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


def decide_champion(
    candidate_rps: ArrayLike, champion_rps: ArrayLike | None, *, n_boot: int = 2000, seed: int = 0
) -> ChampionDecision:
    """Promote when there is no champion, or when the candidate is better with a 95% interval below zero."""
    from soccerpredict.models.backtest import paired_bootstrap_diff

    if champion_rps is None:
        return ChampionDecision(True, "no champion yet")
    cand, champ = np.asarray(candidate_rps, dtype=float), np.asarray(champion_rps, dtype=float)
    diff = paired_bootstrap_diff(cand, champ, n_boot=n_boot, seed=seed)
    better = diff.hi < 0
    verdict = "better than" if better else "not shown better than"
    reason = (
        f"candidate {verdict} the champion on {len(cand)} held-out matches: RPS difference "
        f"{diff.mean_diff:+.5f} (95% CI {diff.lo:+.5f} to {diff.hi:+.5f})"
    )
    return ChampionDecision(better, reason, diff.mean_diff, diff.lo, diff.hi, len(cand))


def _client() -> Any:
    from mlflow.tracking import MlflowClient

    return MlflowClient()


def alias_version(alias: str, model_name: str = MODEL_NAME) -> str | None:
    """The version an alias points at, or None when the alias (or the model) does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return str(_client().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def set_alias(alias: str, version: str, *, model_name: str = MODEL_NAME, force: bool = False) -> None:
    """Point an alias at a version; a rejected version moves only when forced."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        tags = client.get_model_version(model_name, version).tags
    except MlflowException as exc:
        raise RegistryError(f"{model_name} has no version {version}: {exc}") from exc
    if REJECTED_TAG in tags and not force:
        raise RegistryError(f"{model_name} version {version} was rejected ({tags[REJECTED_TAG]}); use --force")
    moved = alias_version(alias, model_name) != version
    client.set_registered_model_alias(model_name, alias, version)
    if moved:  # the predictor exports the champion's age from this tag
        client.set_model_version_tag(model_name, version, promoted_at_tag(alias), f"{time.time():.0f}")


def promoted_at_tag(alias: str) -> str:
    """The model-version tag holding when the version last got ``alias`` (Unix seconds)."""
    return f"{alias}_promoted_at"


def reject_version(version: str, reason: str, *, model_name: str = MODEL_NAME) -> None:
    """Tag a version as rejected and take the candidate alias off it (a rejected champion stays until replaced)."""
    client = _client()
    set_alias_target = alias_version(ALIAS_CANDIDATE, model_name)
    client.set_model_version_tag(model_name, version, REJECTED_TAG, reason or "rejected by a human")
    if set_alias_target == version:
        client.delete_registered_model_alias(model_name, ALIAS_CANDIDATE)
    if alias_version(ALIAS_CHAMPION, model_name) == version:
        raise RegistryError(
            f"version {version} is the champion: it is tagged rejected; promote another version to replace it"
        )


def list_versions(tracking_uri: str, model_name: str = MODEL_NAME) -> list[dict[str, Any]]:
    """Every version of the model, newest first: version, aliases, creation time, run id, rejection reason."""
    from datetime import UTC, datetime

    import mlflow
    from mlflow.exceptions import MlflowException

    mlflow.set_tracking_uri(tracking_uri)
    client = _client()
    try:
        versions = client.search_model_versions(f"name = '{model_name}'")
    except MlflowException as exc:
        raise RegistryError(f"cannot read the registry at {tracking_uri}: {exc}") from exc
    rows = []
    for found in sorted(versions, key=lambda v: int(v.version), reverse=True):
        v = client.get_model_version(model_name, found.version)  # search results leave the aliases out
        created = datetime.fromtimestamp(v.creation_timestamp / 1000, UTC).isoformat(timespec="seconds")
        rows.append(
            {
                "version": str(v.version),
                "aliases": list(v.aliases),
                "created": created,
                "run_id": v.run_id or "",
                "rejected": v.tags.get(REJECTED_TAG),
            }
        )
    return rows
