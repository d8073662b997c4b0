"""The object store against a real S3 API: moto's server on loopback."""

from collections.abc import Iterator

import boto3
import pandas as pd
import pytest

from soccerpredict.data.store import ObjectStore

pytestmark = pytest.mark.service


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket="soccer-store")
    yield endpoint
    server.stop()


@pytest.fixture(autouse=True)
def _aws_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


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
