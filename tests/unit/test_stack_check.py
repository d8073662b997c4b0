"""`demo --check` judges every answer by its body as well as its status (serving/checks.py: check_endpoints)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from serving.checks import check_endpoints

API, PREDICTOR, KEY = "http://api.test", "http://predictor.test", "k"
MATCH = "E0-20240817-arsenal-wolves"
ROW = {"match_id": MATCH, "p_home": 0.5, "p_draw": 0.25, "p_away": 0.25, "model_version": "7"}
CARD = {"match_id": MATCH, "model": {"home": 0.5, "draw": 0.25, "away": 0.25}, "market": {"home": 0.5}}


def good_answers() -> dict[tuple[str, str], tuple[int, Any]]:
    """What a healthy stack answers, by (method, path)."""
    return {
        ("GET", "/health/live"): (200, {"status": "alive"}),
        ("GET", "/health/ready"): (200, {"status": "ready", "detail": "ok", "checks": {}}),
        ("GET", "/predict/predictions/"): (200, {"total": 1, "items": [ROW]}),
        ("GET", f"/predict/precomputed/{MATCH}"): (200, ROW),
        ("GET", f"/predict/{MATCH}"): (200, {**ROW, "source": "model"}),
        ("GET", "/predict/E0-20000101-nobody-no-one"): (404, {"detail": "unknown match"}),
        ("POST", "/predict/async/"): (202, {"task_id": "t1", "status_url": "/monitoring/task_status/t1"}),
        ("GET", "/monitoring/task_status/t1"): (
            200,
            {"task_id": "t1", "status": "done", "result": {"model_version": "7", "predictions": [ROW]}},
        ),
        ("GET", "/predict/cards/"): (200, [CARD]),
        ("GET", "/monitoring/model"): (200, {"name": "soccer-1x2", "version": "7", "alias": "champion"}),
        ("GET", "/monitoring/drift"): (200, {"drifted_share": 0.0, "features": [{"feature": "elo_diff"}]}),
        ("GET", "/monitoring/drift/report"): (200, "<html><body>report</body></html>"),
        ("GET", "/monitoring/drift/history"): (200, {"entries": [{"drifted_share": 0.0}]}),
        ("GET", "/metrics"): (200, "# TYPE soccerpredict_http_requests_total counter\n"),
        ("GET", "/openapi.json"): (200, {"openapi": "3.1.0", "paths": {"/predict/{match_id}": {}}}),
        ("GET", "/v2/health/ready"): (200, {"ready": True}),
        ("GET", "/v2/models/soccer-1x2"): (200, {"name": "soccer-1x2", "versions": ["7"]}),
    }


def transport(answers: dict[tuple[str, str], tuple[int, Any]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/predict/predictions/" and "X-API-Key" not in request.headers:
            return httpx.Response(401, json={"detail": "missing API key"})
        status, body = answers[(request.method, path)]
        if isinstance(body, str):
            return httpx.Response(status, text=body)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


def run(change: Callable[[dict[tuple[str, str], tuple[int, Any]]], None] = lambda _: None) -> dict[str, Any]:
    answers = good_answers()
    change(answers)
    checks = check_endpoints(API, PREDICTOR, KEY, timeout=5, transport=transport(answers))
    return {c.name: c for c in checks}


def test_a_healthy_stack_passes_every_check() -> None:
    checks = run()
    assert len(checks) == 19
    assert [name for name, c in checks.items() if not c.ok] == []


def test_no_cards_is_fine_on_a_sample_without_fixtures() -> None:
    checks = run(lambda answers: answers.__setitem__(("GET", "/predict/cards/"), (200, [])))
    assert checks["prediction cards"].ok


@pytest.mark.parametrize(
    ("name", "route", "answer", "problem"),
    [
        ("readiness", ("GET", "/health/ready"), (200, {"status": "not ready"}), "status is 'not ready'"),
        (
            "sync prediction (model)",  # and its repeat, which asks the same route
            ("GET", f"/predict/{MATCH}"),
            (200, {**ROW, "p_home": 0.9, "source": "model"}),
            "do not sum to one",
        ),
        (
            "sync prediction (model)",
            ("GET", f"/predict/{MATCH}"),
            (200, {**ROW, "match_id": "E0-other", "source": "model"}),
            f"not the prediction of {MATCH}",
        ),
        ("prediction cards", ("GET", "/predict/cards/"), (200, {"detail": "x"}), "not a list of cards"),
        (
            "prediction cards",
            ("GET", "/predict/cards/"),
            (200, [{**CARD, "model": {"home": 0.9, "draw": 0.25, "away": 0.25}}]),
            "row 0",
        ),
        ("model in service", ("GET", "/monitoring/model"), (200, {"name": "soccer-1x2", "version": None}), "version"),
        ("drift report (HTML)", ("GET", "/monitoring/drift/report"), (200, "oops"), "no '<html'"),
        ("drift history", ("GET", "/monitoring/drift/history"), (200, {"entries": []}), "entries is []"),
        (
            "Prometheus metrics",  # the names before issue #17, without the application's prefix
            ("GET", "/metrics"),
            (200, "# TYPE http_requests_total counter\n"),
            "no '# TYPE soccerpredict_http_requests_total counter'",
        ),
        (
            "async job done",
            ("GET", "/monitoring/task_status/t1"),
            (200, {"task_id": "t1", "status": "done", "result": {"predictions": []}}),
            "no rows",
        ),
        ("predictor v2 health", ("GET", "/v2/health/ready"), (200, {"ready": False}), "ready is False"),
    ],
)
def test_a_200_with_the_wrong_body_fails_its_check(
    name: str, route: tuple[str, str], answer: tuple[int, Any], problem: str
) -> None:
    checks = run(lambda answers: answers.__setitem__(route, answer))
    same_route = [name, "sync prediction (cache or model)"] if name.startswith("sync") else [name]
    assert [n for n, c in checks.items() if not c.ok] == same_route
    assert checks[name].status == answer[0]
    assert problem in checks[name].detail


def test_the_web_ui_is_checked_when_the_stack_runs_it() -> None:
    answers = good_answers()
    answers[("GET", "/_stcore/health")] = (200, "ok")
    answers[("GET", "/")] = (200, "<!doctype html><html><head><title>Streamlit</title></head></html>")
    checks = {
        c.name: c for c in check_endpoints(API, PREDICTOR, KEY, transport=transport(answers), ui_url="http://ui.test")
    }
    assert checks["web UI health"].ok and checks["web UI page"].ok and len(checks) == 21

    answers[("GET", "/_stcore/health")] = (503, "unhealthy")
    checks = {
        c.name: c for c in check_endpoints(API, PREDICTOR, KEY, transport=transport(answers), ui_url="http://ui.test")
    }
    assert [n for n, c in checks.items() if not c.ok] == ["web UI health"]
