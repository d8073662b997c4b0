"""What the routers talk to: the predictor, the prediction cache, the published objects, the task queue.

:class:`Services` bundles them per app (built by :func:`serving.api.app.create_app`); routers get it
with the ``ServicesDep`` dependency of :mod:`serving.api.routers`, so tests can hand an app any
predictor, store or Celery app. Nothing here imports FastAPI: Celery workers import these modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from celery import Celery

    from serving.api.services.batching import MissBatcher
    from serving.api.services.precomputed import PrecomputedService
    from serving.common.cache import PredictionCache
    from serving.common.v2_client import Predictor
    from soccerpredict.settings import Settings

__all__ = ["Services"]


@dataclass(slots=True)
class Services:
    """The dependencies of one facade app."""

    settings: Settings
    metrics: Any
    predictor: Predictor
    misses: MissBatcher  # cache misses to the predictor, batched when they arrive together
    cache: PredictionCache
    precomputed: PrecomputedService
    celery: Celery  # reads task states from the result backend
    publisher: Celery  # sends tasks (see serving.common.jobs.make_publisher)
    owns_predictor: bool
