"""``python -m serving.api``: serve the facade with uvicorn on ``SOCCER_API_PORT`` (default 8000)."""

from __future__ import annotations

import argparse

import uvicorn

from soccerpredict.settings import Settings


def main(argv: list[str] | None = None) -> None:
    """Parse the few process options (host, workers) and run uvicorn."""
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m serving.api", description=__doc__)
    # Loopback by default: exposing the facade is a deliberate choice (0.0.0.0 in a container).
    parser.add_argument("--host", default="127.0.0.1", help="Interface to bind (default 127.0.0.1).")
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
    )


if __name__ == "__main__":
    main()
