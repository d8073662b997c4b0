"""Put back MLflow's process-wide state after a test points it at a store of its own.

``mlflow.set_tracking_uri`` and ``mlflow.set_experiment`` (``use_tracking`` calls both) set module globals and
export ``MLFLOW_TRACKING_URI`` and ``MLFLOW_EXPERIMENT_ID``; "restoring" with ``set_tracking_uri(get_tracking_uri())``
would pin the default store of whatever folder the tests run in, for every later test.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID")


@contextlib.contextmanager
def mlflow_state_restored() -> Iterator[None]:
    """Save MLflow's tracking URI, active experiment and their environment variables; restore them on exit."""
    from mlflow.tracking import _tracking_service, fluent

    uri = _tracking_service.utils._tracking_uri
    experiment = fluent._active_experiment_id
    env = {name: os.environ.get(name) for name in _VARIABLES}
    try:
        yield
    finally:
        _tracking_service.utils._tracking_uri = uri
        fluent._active_experiment_id = experiment
        for name, value in env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
