"""The worker's /metrics server binds SOCCER_BIND_HOST: loopback by default (issue #16, defect 1)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from api_doubles import closed_port_url
from prometheus_client import CollectorRegistry

from serving.stack import free_port
from soccerpredict.settings import Settings


def celery_app(tmp_path: Path) -> object:
    from serving.common.jobs import make_celery

    return make_celery(Settings(home=tmp_path, predictor_url=closed_port_url()))


def test_serve_metrics_binds_loopback_by_default(tmp_path: Path) -> None:
    from serving.worker.metrics import serve_metrics

    served = serve_metrics(celery_app(tmp_path), 0, registry=CollectorRegistry(), interval=3600)
    try:
        assert served.server.server_address[0] == "127.0.0.1"
        assert httpx.get(f"http://127.0.0.1:{served.port}/metrics").status_code == 200
    finally:
        served.stop()


@pytest.mark.parametrize(("env", "address"), [(None, "127.0.0.1"), ("0.0.0.0", "0.0.0.0")])
def test_the_worker_command_serves_on_the_bind_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str | None, address: str
) -> None:
    from serving.worker.metrics import on_worker_init

    if env is None:
        monkeypatch.delenv("SOCCER_BIND_HOST", raising=False)
    else:
        monkeypatch.setenv("SOCCER_BIND_HOST", env)
    conf = SimpleNamespace(soccer_worker_metrics_port=free_port())
    served = on_worker_init(instance=SimpleNamespace(app=celery_app(tmp_path)), conf=conf, options={"pool": "solo"})
    assert served is not None
    try:
        assert served.server.server_address[0] == address
    finally:
        served.stop()
