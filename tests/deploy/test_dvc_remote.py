"""The committed DVC remote is the cluster's MinIO as every overlay deploys it, and it holds no keys."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import kustomize_tree as kt
import pytest
from dvc.config import Config

REPO = kt.REPO


@pytest.fixture(scope="module")
def committed() -> dict[str, Any]:
    """.dvc/config alone (no config.local, no global or system config)."""
    return Config(dvc_dir=str(REPO / ".dvc"), validate=False).load_one("repo")


def _one(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_default_remote_is_the_minio_dvc_bucket(
    committed: dict[str, Any], rendered: dict[str, list[dict[str, Any]]], overlay: str
) -> None:
    remote = committed["remote"][committed["core"]["remote"]]
    service = _one(rendered[overlay], "Service", "soccer-minio")
    port = next(p["port"] for p in service["spec"]["ports"] if p["name"] == "s3")
    endpoint = urlsplit(remote["endpointurl"])
    assert endpoint.hostname == f"soccer-minio.{service['metadata']['namespace']}.svc.cluster.local"
    assert endpoint.port == port
    setup = _one(rendered[overlay], "Job", "soccer-minio-setup")
    script = " ".join(setup["spec"]["template"]["spec"]["containers"][0]["args"])
    buckets = set(re.findall(r"soccer/([a-z0-9.-]+)", script.split("mc mb", 1)[1].splitlines()[0]))
    assert urlsplit(remote["url"]).scheme == "s3"
    assert urlsplit(remote["url"]).netloc in buckets


def test_committed_remote_holds_no_keys(committed: dict[str, Any]) -> None:
    secrets = {"access_key_id", "secret_access_key", "session_token", "credentialpath", "profile"}
    for name, remote in committed["remote"].items():
        assert not secrets & set(remote), f"remote {name}: keys belong in the environment or .dvc/config.local"
    assert "/config.local" in (REPO / ".dvc" / ".gitignore").read_text().splitlines()
