"""Docker HEALTHCHECK of the project image: exit 0 when the service in this container answers.

One image runs several services, so the check tries the health endpoint of each on localhost and passes
when any answers 200: the facade (8000), the predictor (8080), a worker's /metrics (9808) or MLflow (5000).
``SOCCER_HEALTHCHECK_URL`` replaces the list with one URL. Standard library only: it must start fast.
"""

import os
import sys
import urllib.request

DEFAULT_URLS = (
    "http://127.0.0.1:8000/health/live",
    "http://127.0.0.1:8080/v2/health/live",
    "http://127.0.0.1:9808/metrics",
    "http://127.0.0.1:5000/health",
)


def healthy(url: str) -> bool:
    """Whether ``url`` answers 200 within 3 s."""
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return int(response.status) == 200
    except OSError:
        return False


def main() -> int:
    """0 when one of the URLs answers 200, else 1."""
    override = os.environ.get("SOCCER_HEALTHCHECK_URL")
    urls = (override,) if override else DEFAULT_URLS
    return 0 if any(healthy(url) for url in urls) else 1


if __name__ == "__main__":
    sys.exit(main())
