"""Put back what a logging config changes in this process, for tests that run service code in-process.

Applying :mod:`serving.logging_config` (the worker's ``setup_logging`` receiver does it whenever Celery sets up a
worker, ``start_worker`` included) stops the service loggers propagating to the root logger, where pytest's
``caplog`` listens: without this, every later test that reads ``caplog`` sees nothing.

Celery's logging set-up (``app.log.setup``) also exports its level and log file for child processes
(``CELERY_LOG_*``, ``_MP_FORK_LOG*_``), which every later child started with ``os.environ`` would inherit: those
are put back too. (Its warning filters need nothing here: pytest restores the filters around every test.)
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from serving.logging_config import SERVICE_LOGGERS

#: What Celery's ``app.log.setup`` exports for its child processes.
_CELERY_ENV = ("CELERY_LOG_LEVEL", "CELERY_LOG_FILE", "_MP_FORK_LOGLEVEL_", "_MP_FORK_LOGFILE_", "_MP_FORK_LOGFORMAT_")


@contextlib.contextmanager
def logging_restored() -> Iterator[None]:
    """Save the handlers, level, propagation and disabled flag of every logger the config touches, and Celery's
    exported variables; restore them."""
    names = ["", *SERVICE_LOGGERS, "kserve.trace"]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate, lg.disabled) for lg in map(logging.getLogger, names)]
    env = {name: os.environ.get(name) for name in _CELERY_ENV}
    try:
        yield
    finally:
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        for lg, handlers, level, propagate, disabled in saved:
            lg.handlers[:] = handlers
            lg.setLevel(level)
            lg.propagate = propagate
            lg.disabled = disabled
