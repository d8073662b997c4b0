"""Servers bind loopback by default (SOCCER_BIND_HOST=127.0.0.1); every container that serves one says 0.0.0.0.

A server on loopback inside a pod is unreachable from its Service and from Prometheus, so each workload running
the predictor, a worker (its /metrics), the facade or the web UI must set the interface explicitly, in every
overlay, and so must the project image for a plain ``docker run`` (issue #16, defect 1).
"""

from __future__ import annotations

import re
from typing import Any

import kustomize_tree as kt
import pytest
from workloads import containers, pod_templates

from soccerpredict.settings import Settings

Obj = dict[str, Any]


def _server(container: Obj) -> str | None:
    """Which of our servers the container runs (None: not one of them)."""
    line = [*container.get("command", []), *container.get("args", [])]
    if line[:3] == ["python", "-m", "serving.predictor"]:
        return "predictor"
    if line[:3] == ["python", "-m", "serving.api"]:
        return "api"
    if line[:3] == ["python", "-m", "serving.ui"]:
        return "ui"
    if line[:1] == ["celery"] and "serving.worker" in line:
        return "worker"
    return None


def test_the_default_is_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOCCER_BIND_HOST", raising=False)
    assert Settings().bind_host == "127.0.0.1"


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_every_served_container_binds_all_interfaces(rendered: dict[str, list[Obj]], overlay: str) -> None:
    seen: set[str] = set()
    for template in pod_templates(rendered[overlay]):
        for container in containers(template.spec):
            server = _server(container)
            if server is None:
                continue
            seen.add(server)
            env = {e["name"]: e.get("value") for e in container.get("env") or []}
            if server == "api":
                args = container["args"]
                assert args[args.index("--host") + 1] == "0.0.0.0", template.owner
            else:
                assert env.get("SOCCER_BIND_HOST") == "0.0.0.0", f"{template.owner} binds loopback"
    assert seen == {"predictor", "api", "worker", "ui"}


def test_the_project_image_binds_all_interfaces() -> None:
    dockerfile = (kt.REPO / "docker" / "app.Dockerfile").read_text(encoding="utf-8")
    final_stage = dockerfile.rsplit("\nFROM ", 1)[1]
    assert re.search(r"^\s*SOCCER_BIND_HOST=0\.0\.0\.0\b", final_stage, re.MULTILINE), "ENV SOCCER_BIND_HOST missing"
