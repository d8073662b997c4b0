"""The registry against a real `mlflow server` as the cluster runs it: PostgreSQL backend store, artefacts proxied to
S3 (``mlflow_server`` in tests/conftest.py). The promotion rules run on it too: tests/unit/test_registry_promotion.py
takes ``registry_uri``, an SQLite file and this server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow_server import MLFLOW_BUCKET, MlflowServer
from mlflow_state import mlflow_state_restored
from s3_server import KEYS
from sklearn.linear_model import LogisticRegression
from sqlalchemy import create_engine, text

from soccerpredict.artifacts import ALIAS_CHAMPION, MODEL_NAME
from soccerpredict.registry.mlflow_log import log_and_register, use_tracking
from soccerpredict.registry.promotion import alias_version, list_versions, reject_version, set_alias

pytestmark = [pytest.mark.service, pytest.mark.slow]


@pytest.fixture(autouse=True)
def _restore_tracking_uri() -> Iterator[None]:
    """use_tracking sets MLflow's process-wide URI: later tests must not talk to a stopped server."""

    with mlflow_state_restored():
        yield


def _bucket_keys(endpoint_url: str) -> set[str]:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=KEYS["AWS_DEFAULT_REGION"],
        aws_access_key_id=KEYS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["AWS_SECRET_ACCESS_KEY"],
    )
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=MLFLOW_BUCKET)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def test_register_alias_reject_and_load_through_the_server(
    mlflow_server: MlflowServer, s3_endpoint_url: str, tmp_path: Path
) -> None:
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"elo_diff": rng.normal(size=300), "rest_days_diff": rng.normal(size=300)})
    y = np.digitize(x["elo_diff"] + rng.normal(size=300), [-0.5, 0.5])
    model = LogisticRegression(max_iter=300).fit(x, y)
    use_tracking(mlflow_server.url)
    card = tmp_path / "model_card.md"
    card.write_text("# card\n")
    first = log_and_register(
        model, example=x, params={"C": 1.0}, metrics={"rps": 0.2}, tags={}, artifacts={"card": card}
    )
    second = log_and_register(model, example=x, params={"C": 1.0}, metrics={"rps": 0.3}, tags={}, artifacts={})
    set_alias(ALIAS_CHAMPION, first.version)
    reject_version(second.version, "worse on the held-out season")
    assert alias_version(ALIAS_CHAMPION) == first.version
    versions = {v["version"]: v for v in list_versions(mlflow_server.url)}
    assert versions[second.version]["rejected"] == "worse on the held-out season"
    assert "smoke" in versions[second.version]["aliases"] and "champion" in versions[first.version]["aliases"]

    import mlflow

    served = mlflow.sklearn.load_model(f"models:/{MODEL_NAME}@{ALIAS_CHAMPION}")
    np.testing.assert_allclose(served.predict_proba(x.head(5)), model.predict_proba(x.head(5)))
    run = mlflow.get_run(first.run_id)
    assert run.data.metrics["rps"] == pytest.approx(0.2)
    assert "card/model_card.md" in [a.path for a in mlflow.MlflowClient().list_artifacts(first.run_id, "card")]

    # Where it all went: artefacts through the server (the client holds no S3 keys) into the bucket...
    assert run.info.artifact_uri.startswith("mlflow-artifacts:/"), run.info.artifact_uri
    champion = mlflow.MlflowClient().get_model_version_by_alias(MODEL_NAME, ALIAS_CHAMPION)
    model_id = champion.source.removeprefix("models:/")
    keys = _bucket_keys(s3_endpoint_url)
    assert any(k.startswith("artifacts/") and k.endswith(f"/models/{model_id}/artifacts/MLmodel") for k in keys), keys
    assert any(k.endswith(f"/{first.run_id}/artifacts/card/model_card.md") for k in keys), keys
    # ... and the registry in PostgreSQL.
    store = create_engine(mlflow_server.backend_store_uri)
    try:
        with store.connect() as conn:
            rows = conn.execute(
                text("SELECT version FROM model_versions WHERE name = :name"), {"name": MODEL_NAME}
            ).scalars()
            assert {str(v) for v in rows} >= {first.version, second.version}
    finally:
        store.dispose()
