"""Feature lookup by match id from the match-features snapshot (local object store, fake clock)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from serving.predictor.features import FeatureSnapshot, SnapshotIndex
from soccerpredict.artifacts import MATCH_FEATURES_KEY
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import ServingError, UnknownMatchError

FEATURES = ("elo_diff", "form_home", "form_away")


def frame(ids: list[str], offset: float = 0.0) -> pd.DataFrame:
    values = np.arange(len(ids) * 3, dtype=float).reshape(len(ids), 3) + offset
    out = pd.DataFrame(values, columns=list(FEATURES))
    out.insert(0, "match_id", ids)
    out["home_team"] = "x"  # non-feature columns ride along
    return out


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path.as_uri())


def test_rows_come_back_in_request_order_and_feature_order() -> None:
    index = SnapshotIndex(frame(["a", "b", "c"]), "v1")
    got = index.features(["c", "a", "c"], ("form_away", "elo_diff"))
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, [[8, 6], [2, 0], [8, 6]])


def test_unknown_ids_are_named() -> None:
    index = SnapshotIndex(frame(["a"]), "v1")
    with pytest.raises(UnknownMatchError, match=r"unknown match id\(s\) 'zz', 'yy': they are not in"):
        index.features(["a", "zz", "yy", "zz"], FEATURES)


def test_many_unknown_ids_are_summarised() -> None:
    index = SnapshotIndex(frame(["a"]), "v1")
    with pytest.raises(UnknownMatchError, match="and 5 more"):
        index.rows([f"m{i}" for i in range(15)])


def test_the_last_row_of_a_duplicated_id_wins() -> None:
    index = SnapshotIndex(pd.concat([frame(["a"]), frame(["a"], offset=100)]), "v1")
    assert index.features(["a"], FEATURES)[0, 0] == 100


def test_missing_values_pass_through_as_nan() -> None:
    data = frame(["a"])
    data["form_home"] = pd.array([None], dtype="Float64")
    assert np.isnan(SnapshotIndex(data, "v1").features(["a"], FEATURES)[0, 1])


def test_missing_feature_columns_are_a_serving_error() -> None:
    with pytest.raises(ServingError, match=r"lacks the model's feature column\(s\) \['rest_diff'\]"):
        SnapshotIndex(frame(["a"]), "v1").features(["a"], (*FEATURES, "rest_diff"))


def test_a_snapshot_without_match_ids_is_refused() -> None:
    with pytest.raises(ServingError, match="no 'match_id' column"):
        SnapshotIndex(frame(["a"]).drop(columns="match_id"), "v1")


def test_snapshot_is_reloaded_when_the_object_changes(store: ObjectStore) -> None:
    clock = Clock()
    snapshot = FeatureSnapshot(store, check_seconds=5.0, clock=clock)
    store.write_parquet(MATCH_FEATURES_KEY, frame(["a"]))

    async def scenario() -> None:
        first = await snapshot.features(["a"], FEATURES)
        assert first[0, 0] == 0
        version = snapshot.version
        store.write_parquet(MATCH_FEATURES_KEY, frame(["a", "b"], offset=10))
        path = Path(store.path(MATCH_FEATURES_KEY))
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime + 10))  # a new mtime even on coarse clocks
        clock.now = 1.0  # not due yet: the loaded snapshot answers
        with pytest.raises(UnknownMatchError):
            await snapshot.features(["b"], FEATURES)
        clock.now = 6.0  # due: this request is served from the old snapshot, a refresh starts beside it
        await snapshot.features(["a"], FEATURES)
        await asyncio.sleep(0)
        await snapshot.refresh()  # waits for the background check to finish (same lock)
        assert snapshot.version != version
        np.testing.assert_array_equal(await snapshot.features(["b"], FEATURES), [[13, 14, 15]])

    asyncio.run(scenario())


def test_an_unchanged_object_is_not_read_again(store: ObjectStore) -> None:
    snapshot = FeatureSnapshot(store, check_seconds=0.0)
    store.write_parquet(MATCH_FEATURES_KEY, frame(["a"]))

    async def scenario() -> tuple[bool, bool]:
        return await snapshot.refresh(), await snapshot.refresh()

    assert asyncio.run(scenario()) == (True, False)


def test_no_snapshot_yet_names_the_ids_and_the_missing_object(store: ObjectStore) -> None:
    snapshot = FeatureSnapshot(store)
    with pytest.raises(UnknownMatchError, match=r"'a'.*no match-features snapshot at file://.*match_features\.parquet"):
        asyncio.run(snapshot.features(["a"], FEATURES))


def test_requests_arriving_during_the_first_load_wait_for_it(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first request loads the snapshot in a thread; requests arriving meanwhile must get their features,
    # not "unknown match id (not loaded yet)".
    store.write_parquet(MATCH_FEATURES_KEY, frame(["a", "b"]))
    snapshot = FeatureSnapshot(store)
    real_read = store.read_parquet
    started = asyncio.Event()

    async def scenario() -> list[np.ndarray]:
        loop = asyncio.get_running_loop()
        gate = asyncio.Event()

        def slow_read(key: str) -> pd.DataFrame:
            loop.call_soon_threadsafe(started.set)
            asyncio.run_coroutine_threadsafe(gate.wait(), loop).result()
            return real_read(key)

        monkeypatch.setattr(store, "read_parquet", slow_read)
        first = asyncio.create_task(snapshot.features(["a"], FEATURES))
        await started.wait()
        later = [asyncio.create_task(snapshot.features([m], FEATURES)) for m in ("b", "a")]
        await asyncio.sleep(0.01)
        gate.set()
        return list(await asyncio.gather(first, *later))

    first, b, a = asyncio.run(scenario())
    np.testing.assert_array_equal(first, [[0, 1, 2]])
    np.testing.assert_array_equal(b, [[3, 4, 5]])
    np.testing.assert_array_equal(a, [[0, 1, 2]])
