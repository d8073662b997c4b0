"""``python -m serving.ui``: Streamlit on SOCCER_BIND_HOST:SOCCER_UI_PORT, headless, writing nothing outside HOME."""

from __future__ import annotations

from pathlib import Path

import httpx
from api_doubles import closed_port_url
from ui_doubles import serve_ui

from serving.ui.__main__ import APP, streamlit_args
from soccerpredict.settings import Settings


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_the_command_line_follows_the_settings() -> None:
    args = streamlit_args(Settings(bind_host="0.0.0.0", ui_port=8765))
    assert args[:2] == ["run", str(APP)]
    assert _option(args, "--server.address") == "0.0.0.0"
    assert _option(args, "--server.port") == "8765"
    assert _option(args, "--server.headless") == "true"
    assert _option(args, "--browser.gatherUsageStats") == "false"
    assert _option(args, "--server.fileWatcherType") == "none"


def test_python_m_serving_ui_serves_its_health_probe_and_writes_only_under_home(tmp_path: Path) -> None:
    home, cwd = tmp_path / "home", tmp_path / "cwd"
    home.mkdir()
    cwd.mkdir()
    with serve_ui(closed_port_url(), home=home, cwd=cwd) as url:
        assert httpx.get(f"{url}/_stcore/health").text == "ok"
        page = httpx.get(url)
        assert page.status_code == 200
        assert "ui-test-key" not in page.text
    assert list(cwd.iterdir()) == []
