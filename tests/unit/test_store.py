from pathlib import Path

import pandas as pd
import pytest

from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import StoreError


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    return ObjectStore(tmp_path.as_uri())


def test_round_trips_bytes_json_and_parquet(store: ObjectStore) -> None:
    frame = pd.DataFrame({"match_id": ["a", "b"], "p": [0.1, 0.9]})
    store.write_bytes("x/raw.bin", b"\x00\x01")
    store.write_json("x/doc.json", {"n": 1})
    store.write_parquet("x/frame.parquet", frame)
    assert store.read_bytes("x/raw.bin") == b"\x00\x01"
    assert store.read_json("x/doc.json") == {"n": 1}
    pd.testing.assert_frame_equal(store.read_parquet("x/frame.parquet"), frame)
    assert store.list("x") == ["x/doc.json", "x/frame.parquet", "x/raw.bin"]


def test_missing_object_is_a_store_error_naming_it(store: ObjectStore) -> None:
    with pytest.raises(StoreError, match=r"no object at .*nothing\.json"):
        store.read_json("nothing.json")
    assert not store.exists("nothing.json")


def test_version_changes_when_an_object_is_rewritten(store: ObjectStore) -> None:
    store.write_bytes("v.txt", b"one")
    first = store.info("v.txt")
    store.write_bytes("v.txt", b"two!")
    second = store.info("v.txt")
    assert (first.size, second.size) == (3, 4)
    assert store.read_bytes("v.txt") == b"two!"


def test_failed_write_leaves_the_previous_object(store: ObjectStore, monkeypatch: pytest.MonkeyPatch) -> None:
    store.write_bytes("keep.txt", b"good")

    def broken_move(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store.fs, "mv", broken_move)
    with pytest.raises(StoreError, match="disk full"):
        store.write_bytes("keep.txt", b"bad")
    assert store.read_bytes("keep.txt") == b"good"
    assert store.list() == ["keep.txt"]
