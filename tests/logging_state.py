"""Put back what a logging config changes in this process, for tests that run service code in-process.

Applying :mod:`serving.logging_config` (the worker's ``setup_logging`` receiver does it whenever Celery sets up a
worker, ``start_worker`` included) stops the service loggers propagating to the root logger, where pytest's
``caplog`` listens: without this, every later test that reads ``caplog`` sees nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from serving.logging_config import SERVICE_LOGGERS


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Save the handlers, level, propagation and disabled flag of every logger the config touches; restore them."""
    names = ["", *SERVICE_LOGGERS, "kserve.trace"]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in map(logging.getLogger, names)]
    try:
        yield
    finally:
        for lg, handlers, level, propagate, disabled in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled
