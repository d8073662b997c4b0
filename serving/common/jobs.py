"""The Celery app the facade and the workers share: broker and result backend from settings, two queues, JSON only.

Queues: ``ml`` for work that calls the model (``predict_matches``, ``score_batch``) and ``api`` for
light housekeeping the facade asks for (``invalidate_cache``), so a long scoring batch never delays
a cache invalidation. Defaults are embedded SQLite (``sqla+sqlite://`` broker, ``db+sqlite://``
results); set ``SOCCER_BROKER_URL=amqp://…`` and ``SOCCER_RESULT_BACKEND=redis://…`` for real services.

Delivery: a job is acknowledged after it ran (``task_acks_late``), so over RabbitMQ a worker killed mid-job
gives it back to the queue and another worker runs it (at least once); over Redis or SQS it comes back after the
visibility timeout (the hard time limit plus 300 s). The embedded SQLite broker cannot redeliver: a job whose
worker was killed is lost (its status stays ``running``), which is why it is for a single machine only.
The facade records every job it accepts in the result backend (state ``SUBMITTED``) before publishing it, so a
task id the backend does not know is one never accepted, expired or lost with the backend, not a queued job.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlsplit

from celery import Celery
from kombu import Queue

from soccerpredict.settings import Settings

__all__ = [
    "API_QUEUE",
    "ML_QUEUE",
    "PUBLISH_RETRY_POLICY",
    "SUBMITTED",
    "TASK_INVALIDATE_CACHE",
    "TASK_PREDICT_MATCHES",
    "TASK_SCORE_BATCH",
    "VISIBILITY_MARGIN_SECONDS",
    "broker_redelivers",
    "make_celery",
    "make_publisher",
    "record_submitted",
    "visibility_timeout",
]

ML_QUEUE: Final = "ml"
API_QUEUE: Final = "api"
TASK_PREDICT_MATCHES: Final = "soccerpredict.predict_matches"
TASK_SCORE_BATCH: Final = "soccerpredict.score_batch"
TASK_INVALIDATE_CACHE: Final = "soccerpredict.invalidate_cache"
#: State the facade writes to the result backend when it accepts a job, before publishing it.
SUBMITTED: Final = "SUBMITTED"
#: How much longer than the hard time limit a Redis/SQS broker waits before it redelivers an unacked job.
VISIBILITY_MARGIN_SECONDS: Final = 300
#: Broker URL schemes whose transport redelivers an unacked message after a visibility timeout.
_VISIBILITY_TRANSPORTS: Final = frozenset({"redis", "rediss", "sentinel", "sqs"})
#: Broker URL schemes whose transport never gives back a message fetched by a worker that was then killed
#: (measured for SQLAlchemy and filesystem: tests/service/test_worker_redelivery.py, docs/architecture.md).
_AT_MOST_ONCE_TRANSPORTS: Final = frozenset({"sqla", "sqlalchemy", "filesystem", "memory"})

#: Publishing is done while an HTTP client waits: give up fast so a dead broker becomes a 503, not a hang.
PUBLISH_RETRY_POLICY: Final = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def _sqlite_folder(settings: Settings) -> None:
    # SQLite cannot create the folder of its database file; only the embedded defaults need it.
    if settings.broker_url is None or settings.result_backend is None:
        settings.home_dir.mkdir(parents=True, exist_ok=True)


def make_celery(settings: Settings, *, queue_prefix: str = "") -> Celery:
    """A Celery app for these settings; tasks live in ``serving.worker.tasks`` (named, never imported here).

    ``queue_prefix`` renames both queues (``{prefix}ml``, ``{prefix}api``), so test runs sharing one
    broker do not consume each other's jobs.
    """
    ml, api = f"{queue_prefix}{ML_QUEUE}", f"{queue_prefix}{API_QUEUE}"
    _sqlite_folder(settings)
    app = Celery("soccerpredict", broker=settings.broker, backend=settings.backend, include=["serving.worker.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_queues=(Queue(ml, routing_key=ml), Queue(api, routing_key=api)),
        task_default_queue=api,
        task_routes=_routes(ml, api),
        task_track_started=True,  # lets /monitoring/task_status tell queued from running
        task_acks_late=True,  # a worker that dies mid-task leaves the job for another
        task_reject_on_worker_lost=True,  # prefork: a killed child process requeues its job instead of failing it
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=settings.task_soft_limit,
        broker_transport_options=_transport_options(settings),
        worker_prefetch_multiplier=1,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=2.0,
        redis_socket_connect_timeout=2.0,
        redis_socket_timeout=5.0,
        # What the tasks need to reach the predictor and the cache (plain values: conf is JSON-printable).
        soccer_predictor_url=settings.predictor_url,
        soccer_predictor_timeout=settings.predictor_timeout,
        soccer_redis_url=settings.redis_url,
        soccer_worker_metrics_port=settings.worker_metrics_port,
    )
    return app


def visibility_timeout(settings: Settings) -> int:
    """Seconds a Redis/SQS broker waits for an unacked job before it gives the job to another worker."""
    return settings.task_time_limit + VISIBILITY_MARGIN_SECONDS


def _scheme(broker_url: str) -> str:
    return urlsplit(broker_url).scheme.split("+", 1)[0]


def broker_redelivers(broker_url: str) -> bool:
    """Whether this broker gives a job back to the queue when the worker that fetched it dies."""
    return _scheme(broker_url) not in _AT_MOST_ONCE_TRANSPORTS


def _transport_options(settings: Settings) -> dict[str, Any]:
    # Redis/SQS redeliver an unacked job after the visibility timeout: it must outlast the longest job, or the
    # job would run twice. Only those transports get it: kombu's SQLAlchemy one hands its options to
    # create_engine, which refuses an unknown argument.
    return (
        {"visibility_timeout": visibility_timeout(settings)}
        if _scheme(settings.broker) in _VISIBILITY_TRANSPORTS
        else {}
    )


def record_submitted(app: Celery, task_id: str) -> None:
    """Write ``task_id`` as ``SUBMITTED`` to the result backend; it expires with the results (``result_expires``).

    Done before publishing: a worker's STARTED or SUCCESS written first would otherwise be overwritten.
    """
    app.backend.store_result(task_id, {"submitted": True}, SUBMITTED)


def _routes(ml: str, api: str) -> dict[str, dict[str, Any]]:
    return {
        TASK_PREDICT_MATCHES: {"queue": ml, "routing_key": ml},
        TASK_SCORE_BATCH: {"queue": ml, "routing_key": ml},
        TASK_INVALIDATE_CACHE: {"queue": api, "routing_key": api},
    }


def make_publisher(app: Celery) -> Celery:
    """``app`` without a result backend: same broker, queues and routes, for publishing only.

    With a result backend, ``send_task`` first subscribes the sender to the task's result channel
    (Redis pub/sub). A facade reads task states instead of waiting on results, so those subscriptions
    would pile up for the life of the process, and a dead result backend would hold every publish for
    about 20 s of retries. Workers still store results: that is decided by their own app.
    """
    publisher = Celery(app.main, set_as_current=False)
    publisher.conf.update(app.conf.changes)
    publisher.conf.update(result_backend=None, include=())
    return publisher
