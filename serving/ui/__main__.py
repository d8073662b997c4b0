"""``python -m serving.ui``: serve the web UI on ``SOCCER_BIND_HOST:SOCCER_UI_PORT``, headless.

Streamlit's health probe is ``/_stcore/health``. It writes only under ``$HOME/.streamlit`` (the manifests set
HOME=/tmp on a read-only root filesystem); no file watcher runs and no usage statistics are sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from soccerpredict.settings import Settings

__all__ = ["APP", "HEALTH_PATH", "main", "streamlit_args"]

#: The script Streamlit runs.
APP: Final = Path(__file__).with_name("app.py")
#: Streamlit's own liveness and readiness path (the Kubernetes probes call it).
HEALTH_PATH: Final = "/_stcore/health"


def streamlit_args(settings: Settings) -> list[str]:
    """The ``streamlit`` command line that serves the UI as ``settings`` say."""
    return [
        "run",
        str(APP),
        "--server.address", settings.bind_host,
        "--server.port", str(settings.ui_port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
        "--browser.gatherUsageStats", "false",
        "--global.developmentMode", "false",
        "--client.showErrorDetails", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def main() -> None:
    """Run Streamlit in this process until it is stopped."""
    from streamlit.web import cli

    cli.main(args=streamlit_args(Settings()), prog_name="streamlit")


if __name__ == "__main__":
    main()
