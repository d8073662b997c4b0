"""How the Celery app delivers a job: acks late, time limits, visibility timeout per transport, soft limit in the task.

The kill -9 experiments themselves (a real worker killed mid-job) are in tests/service/test_worker_redelivery.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from api_doubles import closed_port_url
from celery.exceptions import SoftTimeLimitExceeded

from serving.common.jobs import (
    SUBMITTED,
    TASK_PREDICT_MATCHES,
    broker_redelivers,
    make_celery,
    make_publisher,
    record_submitted,
)
from serving.common.v2_client import InferResult, SyncPredictorClient
from serving.worker.tasks import _predict_each, _predict_known
from soccerpredict.errors import UnknownMatchError
from soccerpredict.settings import Settings


def test_a_job_is_acked_after_it_ran_and_bounded_in_time(tmp_path: Path) -> None:
    conf = make_celery(Settings(home=tmp_path, task_time_limit=120)).conf
    assert (conf.task_acks_late, conf.task_reject_on_worker_lost) == (True, True)
    assert (conf.task_time_limit, conf.task_soft_time_limit) == (120, 108)


@pytest.mark.parametrize("broker_url", ["redis://127.0.0.1:6379/0", "rediss://h:6380/0", "sqs://"])
def test_redis_and_sqs_redeliver_only_after_the_longest_job(tmp_path: Path, broker_url: str) -> None:
    conf = make_celery(Settings(home=tmp_path, broker_url=broker_url, task_time_limit=120)).conf
    assert conf.broker_transport_options == {"visibility_timeout": 420}  # not Celery's hour, and beyond 120 s


@pytest.mark.parametrize("broker_url", [None, "amqp://guest:guest@127.0.0.1:5672//"])
def test_other_brokers_get_no_visibility_timeout(tmp_path: Path, broker_url: str | None) -> None:
    assert make_celery(Settings(home=tmp_path, broker_url=broker_url)).conf.broker_transport_options == {}


def test_the_embedded_broker_still_takes_jobs(tmp_path: Path) -> None:
    # kombu's SQLAlchemy transport passes its transport options to create_engine, which refuses unknown ones.
    app = make_celery(Settings(home=tmp_path), queue_prefix="delivery-")
    publisher = make_publisher(app)
    record_submitted(app, "embedded-job")
    publisher.send_task(TASK_PREDICT_MATCHES, args=[["E0-20240817-arsenal-wolves"]], task_id="embedded-job")
    with app.connection() as conn:
        assert conn.default_channel.queue_declare("delivery-ml", passive=True).message_count == 1
    assert app.AsyncResult("embedded-job").state == SUBMITTED


@pytest.mark.parametrize(
    ("broker_url", "redelivers"),
    [
        ("amqp://guest:guest@127.0.0.1:5672//", True),
        ("redis://127.0.0.1:6379/0", True),
        ("sqla+sqlite:////tmp/broker.db", False),
        ("filesystem://", False),
    ],
)
def test_which_brokers_give_back_the_job_of_a_dead_worker(broker_url: str, redelivers: bool) -> None:
    assert broker_redelivers(broker_url) is redelivers


def test_predicting_one_by_one_stops_at_the_soft_limit() -> None:
    # The deadline is already past: no call is made (the predictor URL would refuse it anyway).
    with (
        SyncPredictorClient(closed_port_url(), timeout=1.0) as client,
        pytest.raises(SoftTimeLimitExceeded, match="after 0 of 2 match ids"),
    ):
        _predict_each(client, ["E0-20240817-a-b", "E0-20240817-c-d"], deadline=0.0)


class CountingClient:
    """A sync predictor client knowing ``known``; it names the unknown ids of a refused call, as the predictor does."""

    def __init__(self, known: set[str], *, names_unknown: bool = True) -> None:
        self.known, self.names_unknown, self.calls = known, names_unknown, 0

    def infer(self, match_ids: list[str]) -> InferResult:
        self.calls += 1
        unknown = [m for m in dict.fromkeys(match_ids) if m not in self.known]
        if unknown:
            raise UnknownMatchError(f"unknown match id(s) {unknown[:3]}", unknown if self.names_unknown else ())
        return InferResult(model_version="7", probabilities=tuple((0.5, 0.3, 0.2) for _ in match_ids))


def test_a_job_with_a_thousand_unknown_ids_costs_two_predictor_calls_not_one_per_id() -> None:
    ids = ["E0-1", *(f"X-{i}" for i in range(1000)), "E0-2"]
    client = CountingClient({"E0-1", "E0-2"})
    with pytest.raises(UnknownMatchError) as refused:
        client.infer(ids)
    rows, unknown = _predict_known(client, ids, refused.value, float("inf"))  # type: ignore[arg-type]
    assert [row["match_id"] for row in rows] == ["E0-1", "E0-2"]
    assert unknown == [f"X-{i}" for i in range(1000)]
    assert client.calls == 2  # the refused call and one for the known ids (it was 1 + 1,002)


def test_without_named_ids_the_job_still_finds_the_known_ones_one_by_one() -> None:
    ids = ["E0-1", "X-1", "E0-2"]
    client = CountingClient({"E0-1", "E0-2"}, names_unknown=False)
    with pytest.raises(UnknownMatchError) as refused:
        client.infer(ids)
    rows, unknown = _predict_known(client, ids, refused.value, float("inf"))  # type: ignore[arg-type]
    assert ([row["match_id"] for row in rows], unknown, client.calls) == (["E0-1", "E0-2"], ["X-1"], 4)
