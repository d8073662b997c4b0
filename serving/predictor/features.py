"""Feature rows by match id, from the latest match-features snapshot in the object store.

The snapshot (:data:`~soccerpredict.artifacts.MATCH_FEATURES_KEY`) holds ``match_id`` and every
feature column. It is read once, indexed by match id, and re-read when the object's version (ETag
or mtime) changes. The version is checked at most every ``check_seconds``, in the background, so a
request never waits for the store once a snapshot is loaded (stale-while-revalidate).

Missing feature values (NaN) pass through: they are the pipeline's own "no history" values and the
trained model handles them. Only client-sent features are checked for NaN (see ``model.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.columns import MATCH_ID
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import ServingError, StoreError, UnknownMatchError

__all__ = ["FeatureSnapshot", "SnapshotIndex"]

log = logging.getLogger(__name__)

#: How many unknown ids an error message names before it says "and N more".
_NAMED_IN_ERRORS: Final = 10
#: Feature orders whose matrices are kept (the champion's, and the previous one during a swap).
_MATRICES_KEPT: Final = 4


class SnapshotIndex:
    """One loaded snapshot: row numbers by match id, float32 matrices by feature order."""

    def __init__(self, frame: pd.DataFrame, version: str) -> None:
        if MATCH_ID not in frame.columns:
            raise ServingError(f"the match-features snapshot has no {MATCH_ID!r} column; rebuild it")
        self.version = version
        self._frame = frame
        # Later rows win on duplicate ids: the snapshot appends the newest row last.
        self._rows = {str(m): i for i, m in enumerate(frame[MATCH_ID].tolist())}
        self._matrices: dict[tuple[str, ...], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, match_id: object) -> bool:
        return match_id in self._rows

    def rows(self, match_ids: Sequence[str]) -> np.ndarray:
        """Row numbers of the match ids; UnknownMatchError naming the unknown ones."""
        unknown = [m for m in dict.fromkeys(match_ids) if m not in self._rows]
        if unknown:
            raise UnknownMatchError(_unknown_message(unknown, "they are not in the match-features snapshot"), unknown)
        return np.fromiter((self._rows[m] for m in match_ids), dtype=np.intp, count=len(match_ids))

    def matrix(self, feature_names: Sequence[str]) -> np.ndarray:
        """All rows as float32 in the given feature order (built once per order)."""
        names = tuple(feature_names)
        cached = self._matrices.get(names)
        if cached is not None:
            return cached
        missing = [n for n in names if n not in self._frame.columns]
        if missing:
            raise ServingError(
                f"the match-features snapshot lacks the model's feature column(s) {missing}; "
                "rebuild it with the feature set the champion was trained on"
            )
        try:
            matrix = self._frame.loc[:, list(names)].to_numpy(dtype=np.float32, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise ServingError(f"the match-features snapshot has non-numeric feature values: {exc}") from exc
        if len(self._matrices) >= _MATRICES_KEPT:
            self._matrices.clear()
        self._matrices[names] = matrix
        return matrix

    def features(self, match_ids: Sequence[str], feature_names: Sequence[str]) -> np.ndarray:
        """Feature rows [len(match_ids), len(feature_names)] for the match ids, in request order."""
        rows = self.rows(match_ids)
        return self.matrix(feature_names)[rows]


class FeatureSnapshot:
    """The latest snapshot, refreshed when the object in the store changes."""

    def __init__(
        self,
        store: ObjectStore,
        key: str = MATCH_FEATURES_KEY,
        *,
        check_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.key = key
        self.check_seconds = check_seconds
        self._clock = clock
        self._index: SnapshotIndex | None = None
        self._checked_at: float | None = None
        self._reason = "not loaded yet"
        self._lock = asyncio.Lock()
        self._refreshing: asyncio.Task[bool] | None = None
        self._warm_order: tuple[str, ...] = ()

    @property
    def version(self) -> str | None:
        """Version of the loaded snapshot (None before the first load)."""
        return self._index.version if self._index else None

    async def features(self, match_ids: Sequence[str], feature_names: Sequence[str]) -> np.ndarray:
        """Feature rows for the match ids; UnknownMatchError naming unknown ids (or why none are known)."""
        self._warm_order = tuple(feature_names)
        index = await self._current()
        if index is None:
            unknown = list(dict.fromkeys(match_ids))
            raise UnknownMatchError(_unknown_message(unknown, self._reason), unknown)
        return index.features(match_ids, feature_names)

    async def refresh(self) -> bool:
        """Re-read the snapshot if its version changed; return whether a new one was loaded."""
        async with self._lock:
            self._checked_at = self._clock()
            try:
                index = await asyncio.to_thread(self._load_if_changed)
            except (StoreError, ServingError) as exc:
                self._reason = str(exc)
                log.warning("match-features snapshot not usable: %s", exc)
                return False
            if index is None:
                return False
            self._index = index
            log.info("loaded match-features snapshot %s (%d matches)", index.version, len(index))
            return True

    async def _current(self) -> SnapshotIndex | None:
        if self._index is None:
            if self._lock.locked():
                async with self._lock:  # the first load is under way: wait for it rather than answer "unknown"
                    pass
            elif self._due():
                await self.refresh()
        elif self._due() and (self._refreshing is None or self._refreshing.done()):
            # Serve the loaded snapshot now; check for a newer one beside the request.
            self._refreshing = asyncio.create_task(self.refresh())
        return self._index

    def _due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self.check_seconds

    def _load_if_changed(self) -> SnapshotIndex | None:
        """Blocking: stat the object, read it when its version is new (runs in a worker thread)."""
        try:
            info = self.store.info(self.key)
        except StoreError as exc:
            raise StoreError(
                f"no match-features snapshot at {self.store.url(self.key)} (run the feature_engineering stage)"
            ) from exc
        if self._index is not None and info.version == self._index.version:
            return None
        index = SnapshotIndex(self.store.read_parquet(self.key), info.version)
        if self._warm_order:
            # Build the champion's matrix here, off the event loop; a mismatch surfaces per request.
            with contextlib.suppress(ServingError):
                index.matrix(self._warm_order)
        return index


def _unknown_message(unknown: Sequence[str], why: str) -> str:
    named = ", ".join(repr(m) for m in unknown[:_NAMED_IN_ERRORS])
    more = f" and {len(unknown) - _NAMED_IN_ERRORS} more" if len(unknown) > _NAMED_IN_ERRORS else ""
    return f"unknown match id(s) {named}{more}: {why}"
