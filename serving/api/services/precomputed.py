"""Objects the pipeline publishes (predictions, cards, drift and its history, run record, champion evaluation),
kept in memory.

A background loop asks the store for each object's version (ETag on S3, mtime on disk) every
``precomputed_poll_seconds`` and reloads only what changed, in a worker thread. Requests read the
snapshot in hand and never wait for a reload; a failed reload keeps the previous snapshot.

A reload also sets the metrics that describe it: when the predictions were produced, the drift gauges,
and the pipeline's runs (the facade is the long-running process that exports what the batch jobs leave).
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Generic, TypeVar

from soccerpredict.artifacts import (
    CARDS_KEY,
    DRIFT_HISTORY_KEY,
    DRIFT_REPORT_KEY,
    DRIFT_SUMMARY_KEY,
    MODEL_EVALUATION_KEY,
    PIPELINE_RUNS_KEY,
    PREDICTIONS_KEY,
)
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import StoreError
from soccerpredict.models.report import ModelEvaluation
from soccerpredict.monitoring.drift_history import DriftHistory
from soccerpredict.monitoring.metrics import record_drift, record_pipeline_runs

__all__ = ["PrecomputedService", "PredictionTable", "PublishedObject", "Snapshot"]

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Snapshot(Generic[T]):
    """One loaded version of an object."""

    version: str
    size: int
    data: T
    loaded_at: float


class PublishedObject(Generic[T]):
    """One store object in memory; :meth:`refresh` reloads it when its version changed."""

    def __init__(self, store: ObjectStore, key: str, parse: Callable[[bytes], T]) -> None:
        self.store = store
        self.key = key
        self._parse = parse
        self.current: Snapshot[T] | None = None
        self._rejected: tuple[str, int] | None = None

    @property
    def rejected(self) -> tuple[str, int] | None:
        """(version, size) of the last publish that could not be parsed and is not served; None if none was."""
        return self._rejected

    def refresh(self) -> bool:
        """Reload if the stored version differs from the one in memory (blocking: run it in a thread)."""
        try:
            info = self.store.info(self.key)
        except StoreError:
            return False  # not published (yet, or any more): keep what we have
        held = self.current
        tag = (info.version, info.size)
        if tag == self._rejected or (held is not None and (held.version, held.size) == tag):
            return False
        try:
            data = self._parse(self.store.read_bytes(self.key))
        except Exception:
            self._rejected = tag  # a broken publish is reported once, not at every poll
            raise
        # One reference swap: readers see the old or the new snapshot, never a mix.
        self.current = Snapshot(version=info.version, size=info.size, data=data, loaded_at=time.time())
        log.info("loaded %s version %s (%d bytes)", self.store.url(self.key), info.version, info.size)
        return True


def _plain(value: Any) -> Any:
    # Parquet gives numpy scalars, NaN/NaT and Timestamps; responses want JSON-ready Python values.
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "isoformat") and hasattr(value, "to_pydatetime"):
        return None if value != value else value.to_pydatetime().isoformat()  # NaT != NaT
    return value.item() if hasattr(value, "item") else value


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True, slots=True)
class PredictionTable:
    """Batch predictions as rows sorted by (date, match_id), with an index by match id."""

    rows: tuple[dict[str, Any], ...]
    by_id: dict[str, dict[str, Any]] = field(repr=False)

    @classmethod
    def from_parquet(cls, raw: bytes) -> PredictionTable:
        """Parse the predictions parquet written by the batch_inference stage."""
        import pandas as pd  # only the loader thread pays for pandas

        frame = pd.read_parquet(io.BytesIO(raw))
        records = [{str(k): _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
        for row in records:
            row["match_id"] = str(row["match_id"])
            row["date"] = _as_date(row.get("date"))
        records.sort(key=lambda r: (r["date"] or date.min, r["match_id"]))
        return cls(rows=tuple(records), by_id={r["match_id"]: r for r in records})

    def produced_at(self) -> float | None:
        """When batch inference produced these rows (the newest ``features_as_of``), as a Unix time."""
        stamps = []
        for row in self.rows:
            value = row.get("features_as_of")
            if value is None:
                continue
            try:
                stamp = datetime.fromisoformat(str(value))
            except ValueError:
                continue
            stamps.append((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp())
        return max(stamps, default=None)

    def select(self, *, div: str | None, date_from: date | None, date_to: date | None) -> list[dict[str, Any]]:
        """Rows matching a division and an inclusive date range (None: no bound)."""
        return [
            row
            for row in self.rows
            if (div is None or row.get("div") == div)
            and (date_from is None or (row["date"] is not None and row["date"] >= date_from))
            and (date_to is None or (row["date"] is not None and row["date"] <= date_to))
        ]


class PrecomputedService:
    """Predictions, cards and drift published by the pipeline, refreshed in the background."""

    def __init__(self, store: ObjectStore, *, metrics: Any) -> None:
        self.predictions = PublishedObject(store, PREDICTIONS_KEY, PredictionTable.from_parquet)
        self.cards: PublishedObject[list[dict[str, Any]]] = PublishedObject(store, CARDS_KEY, json.loads)
        self.drift: PublishedObject[dict[str, Any]] = PublishedObject(store, DRIFT_SUMMARY_KEY, json.loads)
        self.drift_report: PublishedObject[bytes] = PublishedObject(store, DRIFT_REPORT_KEY, bytes)
        self.drift_history: PublishedObject[DriftHistory] = PublishedObject(
            store, DRIFT_HISTORY_KEY, DriftHistory.model_validate_json
        )
        self.pipeline_runs: PublishedObject[dict[str, Any]] = PublishedObject(store, PIPELINE_RUNS_KEY, json.loads)
        source = store.url(MODEL_EVALUATION_KEY)
        self.evaluation: PublishedObject[ModelEvaluation] = PublishedObject(
            store, MODEL_EVALUATION_KEY, lambda raw: ModelEvaluation.from_json(raw, source=source)
        )
        self._metrics = metrics
        self._runs_counted: dict[str, int] = {}
        self.first_pass = asyncio.Event()

    def objects(self) -> Iterable[PublishedObject[Any]]:
        """Everything this service keeps current."""
        return (
            self.predictions,
            self.cards,
            self.drift,
            self.drift_report,
            self.drift_history,
            self.pipeline_runs,
            self.evaluation,
        )

    async def refresh(self) -> None:
        """Check every object once; reload the changed ones off the event loop."""
        for obj in self.objects():
            try:
                changed = await asyncio.to_thread(obj.refresh)
            except Exception:  # a broken publish must not stop the loop: keep serving the last good one
                log.exception("cannot reload %s; keeping the previous version", obj.key)
                continue
            if changed:
                self._observe(obj)
        self.first_pass.set()

    def _observe(self, obj: PublishedObject[Any]) -> None:
        """Set the metrics of an object that was just (re)loaded."""
        snapshot = obj.current
        if snapshot is None:
            return
        try:
            if obj is self.predictions:
                produced = snapshot.data.produced_at()
                gauge = self._metrics["predictions_last_refresh_timestamp_seconds"]
                gauge.set(produced if produced is not None else snapshot.loaded_at)
            elif obj is self.drift and isinstance(snapshot.data, dict):
                record_drift(self._metrics, snapshot.data)
            elif obj is self.pipeline_runs and isinstance(snapshot.data, dict):
                record_pipeline_runs(self._metrics, snapshot.data, self._runs_counted)
        except Exception:  # metrics must never break serving what was loaded
            log.exception("cannot export the metrics of %s", obj.key)

    async def run(self, interval: float) -> None:
        """Refresh forever, every ``interval`` seconds (cancel the task to stop)."""
        while True:
            await self.refresh()
            await asyncio.sleep(interval)
