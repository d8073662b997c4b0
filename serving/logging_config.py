"""One logging configuration for the facade, the predictor and the worker: text or JSON lines on stderr.

``SOCCER_LOG_FORMAT=json`` turns every line into one JSON object (python-json-logger) with ``time``,
``level``, ``logger``, ``process`` and ``message`` (plus ``exc_info`` when there is a traceback). Our
loggers (``serving``, ``soccerpredict``) and the servers' (``uvicorn``, ``kserve``, ``celery``) log INFO
and up through the one handler; everything else WARNING and up. kserve's per-request timing lines
(``kserve.trace``) are off: the access log and the Prometheus histograms carry the same information.

Without this, the facade's own INFO lines were dropped: uvicorn's default config handles only its loggers,
and the root logger (level WARNING) swallowed the rest.
"""

from __future__ import annotations

import logging.config
from typing import Any, Final, Literal

__all__ = ["SERVICE_LOGGERS", "configure_logging", "log_config"]

LogFormat = Literal["text", "json"]

#: Loggers that log INFO (the rest of the process logs WARNING and up).
SERVICE_LOGGERS: Final = ("serving", "soccerpredict", "uvicorn", "uvicorn.error", "uvicorn.access", "kserve", "celery")
_TEXT: Final = "%(asctime)s.%(msecs)03d %(process)s %(name)s %(levelname)s %(message)s"
_JSON_FIELDS: Final = "%(asctime)s %(levelname)s %(name)s %(process)s %(message)s"
_RENAME: Final = {"asctime": "time", "levelname": "level", "name": "logger"}
_DATE: Final = "%Y-%m-%dT%H:%M:%S"


def _formatter(fmt: LogFormat) -> dict[str, Any]:
    if fmt == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": _JSON_FIELDS,
            "datefmt": _DATE,
            "rename_fields": _RENAME,
        }
    if fmt == "text":
        return {"format": _TEXT, "datefmt": _DATE}
    raise ValueError(f"log format must be 'text' or 'json', not {fmt!r}")


def log_config(fmt: LogFormat = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict (also uvicorn's ``log_config``): one stderr handler, ``fmt`` lines."""
    service = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"soccer": _formatter(fmt)},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "soccer", "stream": "ext://sys.stderr"}},
        "loggers": {
            **{name: dict(service) for name in SERVICE_LOGGERS},
            "kserve.trace": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["stderr"], "level": "WARNING"},
    }


def configure_logging(fmt: LogFormat = "text", level: str = "INFO") -> None:
    """Apply :func:`log_config` to this process."""
    logging.config.dictConfig(log_config(fmt, level))
