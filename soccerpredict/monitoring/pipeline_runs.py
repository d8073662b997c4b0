"""The training pipeline's run record in the object store, for Prometheus.

A pipeline run is a batch job (DVC, Kubeflow or the sequential runner), gone before anything scrapes it.
So each run leaves its outcome in one JSON object (:data:`~soccerpredict.artifacts.PIPELINE_RUNS_KEY`):
a stage that fails records a failed run, the last stage of the table records a successful one. The facade
keeps that object current like the other published objects and exports it as ``soccerpredict_pipeline_runs_total``,
``soccerpredict_pipeline_last_success_timestamp_seconds`` and ``soccerpredict_pipeline_last_failure_timestamp_seconds``.

Record::

    {"runs": {"success": 12, "failed": 1}, "last_success": 1723788000.0, "last_failure": 1723701600.0,
     "last_run": {"status": "success", "stage": "monitor_drift", "finished_at": 1723788000.0, "error": null}}
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any, Final, Literal

from soccerpredict.artifacts import PIPELINE_RUNS_KEY
from soccerpredict.errors import StoreError

if TYPE_CHECKING:
    from soccerpredict.data.store import ObjectStore
    from soccerpredict.settings import Settings

__all__ = ["FAILED", "SUCCESS", "read_runs", "record_run", "record_run_quietly"]

log = logging.getLogger(__name__)

SUCCESS: Final = "success"
FAILED: Final = "failed"
Status = Literal["success", "failed"]
_MAX_ERROR_CHARS: Final = 500


def read_runs(store: ObjectStore) -> dict[str, Any]:
    """The run record, or an empty one when none was recorded yet (or the object is not JSON)."""
    try:
        record = store.read_json(PIPELINE_RUNS_KEY)
    except (StoreError, ValueError):
        record = {}
    if not isinstance(record, dict):
        record = {}
    record.setdefault("runs", {})
    return record


def record_run(
    store: ObjectStore, status: Status, *, stage: str, error: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """Add one finished run to the record and write it back; return the new record.

    Read-modify-write: two runs finishing in the same instant may lose one count, which is fine for
    a run every few hours.
    """
    if status not in (SUCCESS, FAILED):
        raise ValueError(f"status must be {SUCCESS!r} or {FAILED!r}, got {status!r}")
    finished = time.time() if now is None else now
    record = read_runs(store)
    runs = record["runs"]
    runs[status] = int(runs.get(status, 0)) + 1
    record["last_success" if status == SUCCESS else "last_failure"] = finished
    record["last_run"] = {
        "status": status,
        "stage": stage,
        "finished_at": finished,
        "error": error[:_MAX_ERROR_CHARS] if error else None,
    }
    store.write_json(PIPELINE_RUNS_KEY, record)
    return record


def record_run_quietly(settings: Settings, status: Status, *, stage: str, error: str | None = None) -> None:
    """:func:`record_run` on the object store of ``settings``; a failure to record is logged, never raised (it
    must not hide the stage's own error or fail a good run)."""
    try:
        from soccerpredict.data.store import ObjectStore

        record_run(ObjectStore.from_settings(settings), status, stage=stage, error=error)
    except Exception as exc:
        log.warning("could not record the pipeline run (%s at stage %s): %s", status, stage, exc)
