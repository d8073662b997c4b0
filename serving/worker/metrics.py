"""The worker's ``/metrics``: async job outcomes and the depth of its queues.

``celery -A serving.worker worker`` serves the process's default registry on
``SOCCER_WORKER_METRICS_PORT`` (default 9808, 0 turns it off) and samples ``soccerpredict_async_queue_depth`` of its
queues from the broker every :data:`QUEUE_SAMPLE_SECONDS`. ``soccerpredict_async_jobs_total`` is counted by the task
signals in :mod:`serving.worker.tasks`. Both start on Celery's ``celeryd_init`` signal, which only the
worker command sends (not the in-process workers of the tests, which call :func:`serve_metrics` themselves).

Run the worker with ``--pool=solo`` or ``--pool=threads``: with ``prefork`` the tasks run in child
processes, whose counters this server cannot see (the queue depth is still right).

The server binds ``SOCCER_BIND_HOST`` (default 127.0.0.1; the image and the manifests set 0.0.0.0 so that
Prometheus can scrape the pod). This module also hands the worker command's logging to
:mod:`serving.logging_config` (Celery's ``setup_logging`` signal), like the facade's and the predictor's:
it is the module the worker imports for its signals.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Final

from celery import Celery
from celery.signals import celeryd_init, setup_logging
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

from serving.logging_config import configure_logging
from soccerpredict.monitoring.metrics import Metrics, build, default_metrics
from soccerpredict.settings import Settings

__all__ = [
    "QUEUE_SAMPLE_SECONDS",
    "QueueDepthSampler",
    "WorkerMetricsServer",
    "on_setup_logging",
    "on_worker_init",
    "queue_depths",
    "serve_metrics",
]

log = logging.getLogger(__name__)

QUEUE_SAMPLE_SECONDS: Final = 15.0


def queue_depths(app: Celery) -> dict[str, int]:
    """Messages waiting in each queue of ``app`` (ready, not yet taken by a worker); unknown queues are left out."""
    depths: dict[str, int] = {}
    with app.connection_for_read() as conn:
        for queue in app.conf.task_queues or ():
            # One channel per queue: on AMQP a failed passive declare closes its channel.
            channel = conn.channel()
            try:
                _, count, _ = channel.queue_declare(queue=queue.name, passive=True)
            except Exception as exc:  # not declared yet, or the broker went away
                log.debug("cannot read the depth of queue %s: %s", queue.name, exc)
                continue
            finally:
                try:
                    channel.close()
                except Exception:
                    log.debug("closing the channel of queue %s failed", queue.name)
            depths[queue.name] = int(count)
    return depths


class QueueDepthSampler:
    """Sets ``soccerpredict_async_queue_depth{queue}`` from the broker now, then every ``interval`` s, in a thread."""

    def __init__(self, app: Celery, metrics: Metrics, *, interval: float = QUEUE_SAMPLE_SECONDS) -> None:
        self.app = app
        self.interval = interval
        self._gauge = metrics["async_queue_depth"]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False

    def sample(self) -> dict[str, int]:
        """Read every queue's depth once and set the gauge; a broker that does not answer is logged once."""
        try:
            depths = queue_depths(self.app)
        except Exception as exc:
            if not self._failing:
                log.warning("cannot read queue depths from the broker: %s", exc)
            self._failing = True
            return {}
        self._failing = False
        for queue, depth in depths.items():
            self._gauge.labels(queue=queue).set(depth)
        return depths

    def start(self) -> None:
        """Sample in a daemon thread until :meth:`stop`."""

        def loop() -> None:
            while True:
                self.sample()
                if self._stop.wait(self.interval):
                    return

        self._thread = threading.Thread(target=loop, name="queue-depth", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling (waits for a sample in progress)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)


class WorkerMetricsServer:
    """The HTTP server and the queue sampler of one worker process."""

    def __init__(self, server: Any, thread: threading.Thread, sampler: QueueDepthSampler) -> None:
        self.server = server
        self.thread = thread
        self.sampler = sampler

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self.server.server_port)

    def stop(self) -> None:
        """Stop sampling and serving."""
        self.sampler.stop()
        self.server.shutdown()
        self.server.server_close()


def serve_metrics(
    app: Celery,
    port: int,
    *,
    addr: str = "127.0.0.1",  # a pod passes SOCCER_BIND_HOST=0.0.0.0: Prometheus scrapes it from outside
    registry: CollectorRegistry = REGISTRY,
    interval: float = QUEUE_SAMPLE_SECONDS,
) -> WorkerMetricsServer:
    """Serve ``registry`` on ``port`` (0: any free port) and start sampling the queues of ``app``.

    Every metric of the table is created first, so each family is exposed before its first sample.
    """
    metrics = default_metrics() if registry is REGISTRY else build(registry)
    server, thread = start_http_server(port, addr=addr, registry=registry)
    sampler = QueueDepthSampler(app, metrics, interval=interval)
    sampler.start()
    return WorkerMetricsServer(server, thread, sampler)


@celeryd_init.connect
def on_worker_init(instance: Any = None, conf: Any = None, options: Any = None, **_: Any) -> WorkerMetricsServer | None:
    """Serve ``/metrics`` in a worker started by the ``celery worker`` command (Celery's ``celeryd_init``)."""
    port = int(getattr(conf, "soccer_worker_metrics_port", 0) or 0) if conf is not None else 0
    app = getattr(instance, "app", None)
    if not port or app is None:
        return None
    pool = str((options or {}).get("pool_cls") or (options or {}).get("pool") or "")
    if "prefork" in pool.lower():
        log.warning("the prefork pool counts jobs in child processes: /metrics shows no soccerpredict_async_jobs_total")
    try:
        served = serve_metrics(app, port, addr=Settings().bind_host)
    except OSError as exc:
        log.warning("cannot serve worker metrics on port %d: %s (the worker runs without them)", port, exc)
        return None
    log.info("worker metrics on %s port %d (/metrics)", served.server.server_address[0], served.port)
    return served


@setup_logging.connect
def on_setup_logging(loglevel: Any = None, **_: Any) -> None:
    """The worker command's logging: :mod:`serving.logging_config` at ``-l`` (Celery then configures none)."""
    level = logging.getLevelName(loglevel) if isinstance(loglevel, int) else str(loglevel or "INFO").upper()
    configure_logging(Settings().log_format, level)
