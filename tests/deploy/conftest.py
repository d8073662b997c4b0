"""Fixtures of the deploy tests: the rendered overlays (by kustomize when installed) and the documented secrets."""

from __future__ import annotations

import re
from typing import Any

import kustomize_tree as kt
import pytest

DEPLOY_DOC = kt.REPO / "docs" / "deploy.md"


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[dict[str, Any]]]:
    """Objects of each overlay: kustomize's render with the generated names' hashes stripped, else the Python render.

    Stripping the hash keeps names comparable between the two renders; references stay consistent because the
    same plain name replaces it everywhere.
    """
    out: dict[str, list[dict[str, Any]]] = {}
    for name, entry in kt.OVERLAYS.items():
        real = kt.render_kustomize(entry)
        out[name] = kt.render_python(entry) if real is None else kt.strip_name_hashes(real, kt.generator_names(entry))
    return out


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
