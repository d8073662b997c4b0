"""Fixtures of the deploy tests: the overlays as kustomize renders them (once per session) and the documented
secrets."""

from __future__ import annotations

import re
from typing import Any

import kustomize_tree as kt
import pytest

DEPLOY_DOC = kt.REPO / "docs" / "deploy.md"


@pytest.fixture(scope="session")
def renders() -> dict[str, kt.Render]:
    """``kubectl kustomize`` of each overlay, run once: objects (generated names hashed, as applied) and warnings."""
    return {name: kt.render(entry) for name, entry in kt.OVERLAYS.items()}


@pytest.fixture(scope="session")
def rendered(renders: dict[str, kt.Render]) -> dict[str, list[dict[str, Any]]]:
    """The objects of each overlay's render."""
    return {name: render.objects for name, render in renders.items()}


@pytest.fixture(scope="session")
def documented_secrets() -> dict[tuple[str, str], set[str]]:
    """(namespace, secret) -> keys, from the secrets table of docs/deploy.md.

    Its rows read ``| namespace | `secret` | `key1`, `key2` | read by |``.
    """
    table: dict[tuple[str, str], set[str]] = {}
    row = re.compile(r"^\|\s*(soccerpredict|airflow|kubeflow)\s*\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|")
    for line in DEPLOY_DOC.read_text(encoding="utf-8").splitlines():
        match = row.match(line)
        if match:
            keys = set(re.findall(r"`([A-Za-z0-9._-]+)`", match.group(3)))
            table.setdefault((match.group(1), match.group(2)), set()).update(keys)
    return table
