"""What a test needs from the machine: skipped on a developer's machine without it, a failure in CI.

CI installs every tool and starts every service the suite uses (.ci/system-deps.sh, .ci/services.sh), so a
missing one there is a broken CI, not a reason to pass quietly.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["in_ci", "missing"]


def in_ci() -> bool:
    """True under CI (``CI=true``, as .ci/run and every hosted CI set it)."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def missing(what: str) -> NoReturn:
    """Skip the test (``what`` says what is missing), or fail it under CI."""
    if in_ci():
        pytest.fail(f"{what}; CI provides it (.ci/system-deps.sh, .ci/services.sh), so this is a broken CI run")
    pytest.skip(what)
