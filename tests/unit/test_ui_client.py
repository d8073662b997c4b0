"""The web UI's facade client: the key in X-API-Key and nowhere else, every page read, each failure a typed error.

The facade here is an in-process httpx transport answering what the real one answers (tests/unit/test_ui_app.py
runs the client against the real facade)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from serving.ui.client import PAGE_SIZE, FacadeClient
from serving.ui.errors import (
    FacadeResponseError,
    FacadeUnreachableError,
    KeyRefusedError,
    NoChampionError,
    NotFoundError,
    NotPublishedError,
    UiError,
)
from soccerpredict.settings import Settings

URL = "http://facade.test"


def _client(handler: Callable[[httpx.Request], httpx.Response], key: str | None = "k") -> FacadeClient:
    return FacadeClient(URL, api_key=key, timeout=1.0, transport=httpx.MockTransport(handler))


def _row(i: int) -> dict[str, object]:
    return {"match_id": f"m{i:04d}", "p_home": 0.5, "p_draw": 0.3, "p_away": 0.2}


def test_the_key_goes_in_x_api_key_and_not_in_the_repr() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"status": "alive"})

    client = _client(handler, key="secret-key")
    client.live()
    assert seen[0].headers["X-API-Key"] == "secret-key"
    assert "secret-key" not in repr(client)
    _client(handler, key=None).live()
    assert "X-API-Key" not in seen[1].headers


def test_from_settings_reads_the_ui_settings() -> None:
    client = FacadeClient.from_settings(Settings(ui_api_url="http://example.test:8000/", ui_api_key="abc"))
    assert client.base_url == "http://example.test:8000"


def test_the_drift_history_is_read_from_its_route() -> None:
    entry = {"current_from": "2024-06-17", "current_to": "2024-08-16", "drifted_share": 0.5, "features_checked": 2,
             "features_drifted": 1, "computed_at": "2024-08-16T06:00:00Z"}  # fmt: skip
    paths: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        paths.append(request.url.path)
        return httpx.Response(200, json={"entries": [entry]})

    history = _client(handler).drift_history()
    assert paths == ["/monitoring/drift/history"]
    assert [(e.drifted_share, e.features_drifted, e.features_checked) for e in history.entries] == [(0.5, 1, 2)]


def test_every_page_of_the_predictions_is_read_with_the_filters() -> None:
    total = PAGE_SIZE + 3
    queries: list[httpx.QueryParams] = []

    def handler(request: httpx.Request) -> httpx.Response:
        queries.append(request.url.params)
        offset, limit = int(request.url.params["offset"]), int(request.url.params["limit"])
        items = [_row(i) for i in range(offset, min(offset + limit, total))]
        return httpx.Response(
            200, json={"total": total, "limit": limit, "offset": offset, "published_version": "1", "items": items}
        )

    rows = _client(handler).predictions(div="E0")
    assert [r.match_id for r in rows] == [f"m{i:04d}" for i in range(total)]
    assert [q["offset"] for q in queries] == ["0", str(PAGE_SIZE)]
    assert all(q["div"] == "E0" and "date_from" not in q for q in queries)


def test_no_fixtures_is_an_empty_list() -> None:
    page = {"total": 0, "limit": PAGE_SIZE, "offset": 0, "published_version": "1", "items": []}
    assert _client(lambda r: httpx.Response(200, json=page)).predictions() == []
    assert _client(lambda r: httpx.Response(200, json=[])).cards() == []


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


def _time_out(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


def _answer(status: int, body: object) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("handler", "call", "error"),
    [
        (_refuse, FacadeClient.cards, FacadeUnreachableError),
        (_time_out, FacadeClient.ready, FacadeUnreachableError),
        (_answer(401, {"detail": "missing or invalid API key"}), FacadeClient.cards, KeyRefusedError),
        (_answer(403, {"detail": "forbidden"}), FacadeClient.drift, KeyRefusedError),
        (_answer(503, {"detail": "no predictions published yet, run the pipeline"}), FacadeClient.predictions,
         NotPublishedError),
        (_answer(503, {"detail": "no drift report published yet"}), FacadeClient.drift_report, NotPublishedError),
        (_answer(503, {"detail": "no drift history published yet"}), FacadeClient.drift_history, NotPublishedError),
        (_answer(401, {"detail": "missing or invalid API key"}), FacadeClient.drift_history, KeyRefusedError),
        (_answer(200, {"entries": [{"drifted_share": "high"}]}), FacadeClient.drift_history, FacadeResponseError),
        (_refuse, FacadeClient.drift_history, FacadeUnreachableError),
        (_answer(503, {"detail": "predictor unreachable"}), FacadeClient.model, FacadeResponseError),
        (_answer(503, {"detail": "no evaluation of the champion published yet"}), FacadeClient.model_evaluation,
         NotPublishedError),
        (_answer(401, {"detail": "missing or invalid API key"}), FacadeClient.model_evaluation, KeyRefusedError),
        (_answer(200, {"model": "soccer-1x2", "version": "7"}), FacadeClient.model_evaluation, FacadeResponseError),
        (_answer(200, {"name": "soccer-1x2", "version": None, "alias": None}), FacadeClient.model, NoChampionError),
        (_answer(500, {"detail": "internal error; see the facade's log"}), FacadeClient.cards, FacadeResponseError),
        (_answer(200, {"status": "dead"}), FacadeClient.live, FacadeResponseError),
        (lambda r: httpx.Response(502, text="<html>bad gateway</html>"), FacadeClient.cards, FacadeResponseError),
    ],
)  # fmt: skip
def test_each_failure_is_a_typed_error(
    handler: Callable[[httpx.Request], httpx.Response],
    call: Callable[[FacadeClient], object],
    error: type[UiError],
) -> None:
    with pytest.raises(error) as raised:
        call(_client(handler))
    assert type(raised.value) is error
    assert str(raised.value)


def test_an_unknown_match_is_not_found_with_the_facades_detail() -> None:
    detail = "match 'x' is not in the published predictions"
    with pytest.raises(NotFoundError) as raised:
        _client(_answer(404, {"detail": detail})).precomputed("x")
    assert (raised.value.status, raised.value.detail) == (404, detail)


def test_a_not_ready_facade_is_an_answer_not_an_error() -> None:
    body = {"status": "not ready", "detail": "predictor: unreachable", "checks": {"predictor": "unreachable"}}
    ready = _client(_answer(503, body)).ready()
    assert (ready.status, ready.checks) == ("not ready", {"predictor": "unreachable"})
