"""The object store against a real S3 API: moto's server on loopback."""

import pandas as pd
import pytest
from s3_server import KEYS, create_bucket

from soccerpredict.data.store import ObjectStore

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def s3_endpoint(s3_endpoint_url: str) -> str:
    create_bucket(s3_endpoint_url, "soccer-store")
    return s3_endpoint_url


@pytest.fixture(autouse=True)
def _aws_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in KEYS.items():
        monkeypatch.setenv(name, value)


def test_parquet_round_trip_on_s3(s3_endpoint: str) -> None:
    store = ObjectStore("s3://soccer-store/run1", s3_endpoint=s3_endpoint)
    frame = pd.DataFrame({"match_id": ["E0-1", "E0-2"], "fthg": [1, 3]})
    uri = store.write_parquet("raw/2024-05-19/matches.parquet", frame)
    assert uri == "s3://soccer-store/run1/raw/2024-05-19/matches.parquet"
    pd.testing.assert_frame_equal(store.read_parquet("raw/2024-05-19/matches.parquet"), frame)
    assert store.list("raw") == ["raw/2024-05-19/matches.parquet"]


def test_etag_changes_with_content_on_s3(s3_endpoint: str) -> None:
    store = ObjectStore("s3://soccer-store/etag", s3_endpoint=s3_endpoint)
    store.write_bytes("cards.json", b"[1]")
    first = store.info("cards.json").version
    store.fs.invalidate_cache()
    store.write_bytes("cards.json", b"[1, 2]")
    store.fs.invalidate_cache()
    assert store.info("cards.json").version != first
