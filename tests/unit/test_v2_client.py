"""The v2 request/response mapping (against a fake v2 server on loopback) and Celery routing."""

from __future__ import annotations

import asyncio

import pytest
from api_doubles import FakeV2Predictor, closed_port_url

from serving.common.jobs import TASK_INVALIDATE_CACHE, TASK_PREDICT_MATCHES, TASK_SCORE_BATCH, make_celery
from serving.common.v2_client import (
    PredictorClient,
    PredictorTimeoutError,
    match_id_request,
    parse_infer_response,
    parse_metadata,
)
from soccerpredict.errors import PredictorUnavailableError, UnknownMatchError
from soccerpredict.settings import Settings


def _response(probabilities: object, shape: list[int], **extra: object) -> dict[str, object]:
    outputs = [{"name": "probabilities", "datatype": "FP32", "shape": shape, "data": probabilities}]
    return {"model_name": "soccer-1x2", "outputs": outputs, **extra}


def test_match_id_request_is_a_bytes_tensor() -> None:
    assert match_id_request(["a", "b"]) == {
        "inputs": [{"name": "match_id", "datatype": "BYTES", "shape": [2], "data": ["a", "b"]}]
    }


def test_a_caller_that_caches_says_so_in_the_request_parameters() -> None:
    body = match_id_request(["a"], caller_caches=True)
    assert body["parameters"] == {"cache": "caller"}
    assert body["inputs"] == match_id_request(["a"])["inputs"]


def test_flat_and_nested_probabilities_parse_the_same() -> None:
    flat = _response([0.5, 0.3, 0.2, 0.1, 0.2, 0.7], [2, 3], model_version="4")
    nested = _response([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], [2, 3], model_version="4")
    assert parse_infer_response(flat, 2) == parse_infer_response(nested, 2)
    assert parse_infer_response(flat, 2).probabilities[1] == (0.1, 0.2, 0.7)


def test_model_version_output_wins_over_the_response_field() -> None:
    body = _response([0.5, 0.3, 0.2], [1, 3], model_version="server-field")
    body["outputs"].append({"name": "model_version", "datatype": "BYTES", "shape": [1], "data": ["9"]})  # type: ignore[attr-defined]
    assert parse_infer_response(body, 1).model_version == "9"
    assert parse_infer_response(_response([0.5, 0.3, 0.2], [1, 3]), 1).model_version == "unknown"


@pytest.mark.parametrize(
    "body", [{"outputs": []}, _response([0.5, 0.5], [1, 2])], ids=["no-probabilities", "wrong-width"]
)
def test_malformed_responses_are_predictor_errors(body: dict[str, object]) -> None:
    with pytest.raises(PredictorUnavailableError):
        parse_infer_response(body, 1)


def test_metadata_alias_is_what_the_predictor_publishes_or_none() -> None:
    meta = parse_metadata({"name": "soccer-1x2", "versions": ["3", "4"], "platform": "p"})
    assert (meta.version, meta.alias) == ("4", None)  # not said: not assumed
    assert parse_metadata({"name": "soccer-1x2", "parameters": {"alias": "candidate"}}).alias == "candidate"


def test_status_codes_and_transport_failures_map_to_serving_errors() -> None:
    with FakeV2Predictor({"known": (0.5, 0.3, 0.2)}) as fake:
        asyncio.run(_status_codes_map_to_serving_errors(fake))


async def _status_codes_map_to_serving_errors(fake: FakeV2Predictor) -> None:
    client = PredictorClient(fake.url, timeout=30.0)  # no ordinary answer comes near it, however busy the machine
    with pytest.raises(UnknownMatchError, match="unknown match id") as unknown:
        await client.infer(["known", "unknown", "ghost"])
    assert unknown.value.match_ids == ("unknown", "ghost")  # read from the 400's unknown_match_ids
    fake.delay = 3.0
    impatient = PredictorClient(fake.url, timeout=0.5)
    with pytest.raises(PredictorTimeoutError, match=r"within 0\.5 s"):
        await impatient.infer(["known"])
    await impatient.aclose()
    fake.delay, fake.fail_status = 0.0, 500
    with pytest.raises(PredictorUnavailableError, match="HTTP 500: model not loaded"):
        await client.infer(["known"])
    fake.fail_status = None
    assert (await client.infer(["known"])).probabilities == ((0.5, 0.3, 0.2),)
    await client.aclose()
    nobody = PredictorClient(closed_port_url(), timeout=0.5)
    with pytest.raises(PredictorUnavailableError, match="unreachable") as refused:
        await nobody.infer(["known"])
    assert not isinstance(refused.value, PredictorTimeoutError)
    assert await nobody.ready() == "unreachable"
    await nobody.aclose()


def test_the_client_learns_the_model_version_from_answers() -> None:
    with FakeV2Predictor({"x": (0.5, 0.3, 0.2)}, version="12") as fake:
        asyncio.run(_learns_the_model_version(fake))


async def _learns_the_model_version(fake: FakeV2Predictor) -> None:
    client = PredictorClient(fake.url, timeout=30.0)  # bounds a hang; no ordinary answer comes near it
    assert client.model_version is None
    await client.infer(["x"])
    assert client.model_version == "12"
    fake.version = "13"
    assert (await client.metadata()).version == "13"
    assert client.model_version == "13"
    assert await client.ready() == "ok"
    fake.is_ready = False
    assert await client.ready() == "not ready (HTTP 503)"
    await client.aclose()


def test_tasks_are_routed_to_their_queues(tmp_path: object) -> None:
    app = make_celery(Settings(home=tmp_path, broker_url="memory://", result_backend="cache+memory://"))  # type: ignore[arg-type]
    route = app.amqp.router.route
    assert route({}, TASK_PREDICT_MATCHES)["queue"].name == "ml"
    assert route({}, TASK_SCORE_BATCH)["queue"].name == "ml"
    assert route({}, TASK_INVALIDATE_CACHE)["queue"].name == "api"
    assert app.conf.task_serializer == "json" and app.conf.accept_content == ["json"]
    prefixed = make_celery(Settings(home=tmp_path, broker_url="memory://"), queue_prefix="t1-")  # type: ignore[arg-type]
    assert prefixed.amqp.router.route({}, TASK_PREDICT_MATCHES)["queue"].name == "t1-ml"
