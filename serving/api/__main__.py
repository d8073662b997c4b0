"""``python -m serving.api``: serve the facade with uvicorn on ``SOCCER_API_PORT`` (default 8000).

Logging is :mod:`serving.logging_config` (``SOCCER_LOG_FORMAT``): the facade's own INFO lines and uvicorn's
share one handler.
"""

from __future__ import annotations

import argparse

import uvicorn

from serving.logging_config import log_config
from soccerpredict.settings import Settings


def main(argv: list[str] | None = None) -> None:
    """Parse the few process options (host, workers) and run uvicorn."""
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m serving.api", description=__doc__)
    # Loopback by default: exposing the facade is a deliberate choice (0.0.0.0 in a container).
    parser.add_argument("--host", default=settings.bind_host, help="Interface to bind (default SOCCER_BIND_HOST).")
    parser.add_argument("--port", type=int, default=settings.api_port, help="Port (default SOCCER_API_PORT).")
    parser.add_argument("--workers", type=int, default=1, help="Worker processes (default 1).")
    args = parser.parse_args(argv)
    uvicorn.run(
        "serving.api.app:create_app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        proxy_headers=True,
        server_header=False,
        log_config=log_config(settings.log_format),
    )


if __name__ == "__main__":
    main()
