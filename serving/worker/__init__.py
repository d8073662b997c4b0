"""Celery worker for async jobs (queues ``ml`` and ``api``).

Start it with the settings of the environment (``SOCCER_BROKER_URL``, ``SOCCER_RESULT_BACKEND``,
``SOCCER_PREDICTOR_URL``, ``SOCCER_REDIS_URL``)::

    celery -A serving.worker worker -Q ml,api --pool=solo --without-gossip --without-mingle

``serving.worker.celery`` is built on first access, not on import, so importing this package reads
no environment and opens no connection.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serving.common.jobs import make_celery

__all__ = ["make_celery"]


@cache
def _from_environment() -> Any:
    from serving.common.jobs import make_celery
    from serving.worker import metrics  # noqa: F401  (connects celeryd_init: the worker command serves /metrics)
    from soccerpredict.settings import Settings

    return make_celery(Settings())


def __getattr__(name: str) -> Any:
    # `celery -A serving.worker` looks up `serving.worker.celery`: build the app only then.
    if name == "celery":
        return _from_environment()
    if name == "make_celery":
        from serving.common.jobs import make_celery

        return make_celery
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
