"""The drift history: one entry per monitor_drift run, oldest first, at most :data:`HISTORY_LIMIT` entries.

The stage appends to the published history (:data:`~soccerpredict.artifacts.DRIFT_HISTORY_KEY`) after writing the
latest summary; the facade serves it and the web UI charts the drifted share over time. A history that cannot be
read is never overwritten in place: it is copied aside (``<key>.corrupt-<UTC time>``) and a new one starts, so a
broken publish costs one warning, not the pipeline run nor the old entries.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from soccerpredict.artifacts import DRIFT_HISTORY_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import StoreError

__all__ = [
    "HISTORY_LIMIT",
    "DriftHistory",
    "DriftHistoryEntry",
    "append_entry",
    "corrupt_key",
    "history_entry",
    "publish_history",
]

log = logging.getLogger(__name__)

#: Entries kept: a year of daily runs; the oldest are dropped first.
HISTORY_LIMIT: Final = 365

E = TypeVar("E")


class DriftHistoryEntry(BaseModel):
    """One monitor_drift run: the current window it compared, what drifted, and when."""

    model_config = ConfigDict(extra="allow")

    current_from: str = Field(description="First day of the current window (ISO date).")
    current_to: str = Field(description="Last day of the current window (ISO date).")
    drifted_share: float = Field(ge=0.0, le=1.0, description="Share of the checked features that drifted.")
    features_checked: int = Field(ge=0, description="Features compared with the reference.")
    features_drifted: int = Field(ge=0, description="Features flagged as drifted.")
    computed_at: datetime = Field(description="When the stage computed it (UTC).")


class DriftHistory(BaseModel):
    """Every recorded monitor_drift run, oldest first."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "entries": [
                        {
                            "current_from": "2024-06-16",
                            "current_to": "2024-08-15",
                            "drifted_share": 0.0,
                            "features_checked": 8,
                            "features_drifted": 0,
                            "computed_at": "2024-08-15T06:00:00Z",
                        },
                        {
                            "current_from": "2024-06-17",
                            "current_to": "2024-08-16",
                            "drifted_share": 0.125,
                            "features_checked": 8,
                            "features_drifted": 1,
                            "computed_at": "2024-08-16T06:00:00Z",
                        },
                    ]
                }
            ]
        }
    )

    entries: list[DriftHistoryEntry] = Field(description="One entry per run, oldest first.")


def append_entry(entries: Sequence[E], entry: E, limit: int = HISTORY_LIMIT) -> list[E]:
    """``entries`` followed by ``entry``, keeping the newest ``limit`` (order kept, oldest dropped first)."""
    if limit < 1:
        raise ValueError(f"a history keeps at least one entry, not {limit}")
    return [*entries, entry][-limit:]


def history_entry(summary: Mapping[str, Any], computed_at: datetime) -> DriftHistoryEntry:
    """The history entry of a drift summary as monitor_drift writes it."""
    return DriftHistoryEntry(
        current_from=str(summary["current_from"]),
        current_to=str(summary["current_to"]),
        drifted_share=float(summary["drifted_share"]),
        features_checked=len(summary["features"]),
        features_drifted=len(summary["drifted_features"]),
        computed_at=computed_at,
    )


def corrupt_key(computed_at: datetime) -> str:
    """Where an unreadable history is kept aside, named by the run that found it."""
    return f"{DRIFT_HISTORY_KEY}.corrupt-{computed_at:%Y%m%dT%H%M%SZ}"


def _read(store: ObjectStore, computed_at: datetime) -> list[DriftHistoryEntry]:
    try:
        raw = store.read_bytes(DRIFT_HISTORY_KEY)
    except StoreError:
        if store.exists(DRIFT_HISTORY_KEY):
            raise  # there but unreadable (permissions, network): do not start over on top of it
        return []  # never published: a new history
    try:
        return DriftHistory.model_validate_json(raw).entries
    except ValidationError as exc:
        aside = corrupt_key(computed_at)
        store.write_bytes(aside, raw)
        log.warning(
            "%s is not a drift history (%d errors); kept it as %s and started a new one",
            store.url(DRIFT_HISTORY_KEY),
            exc.error_count(),
            store.url(aside),
        )
        return []


def publish_history(store: ObjectStore, entry: DriftHistoryEntry, *, limit: int = HISTORY_LIMIT) -> DriftHistory:
    """Append ``entry`` to the published history (a new one when none, or an unreadable one, is there)."""
    history = DriftHistory(entries=append_entry(_read(store, entry.computed_at), entry, limit))
    store.write_bytes(DRIFT_HISTORY_KEY, history.model_dump_json(indent=2).encode())
    return history
