"""What each route documents is what it answers: for every route, a request that provokes each status it can return
(success, 401, 413, 422, 400, 404, 503, 504), checked against the route's OpenAPI ``responses``.

Both ways: every status seen here must be documented for its route (with a body that validates against the
documented schema), and every documented status must be provoked here, so neither an undocumented answer nor a
documented-but-impossible one goes unnoticed. tests/contract/test_openapi_fuzz.py does the first half with
generated requests; this file reaches the failures schemathesis cannot cause (predictor down or slow, nothing
published, result backend down).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from api_doubles import StubPredictor, closed_port_url
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
from serving.api.routers import example_of
from serving.common.v2_client import PredictorTimeoutError
from soccerpredict.artifacts import (
    CARDS_KEY,
    DRIFT_HISTORY_KEY,
    DRIFT_REPORT_KEY,
    DRIFT_SUMMARY_KEY,
    MODEL_EVALUATION_KEY,
    PREDICTIONS_KEY,
)
from soccerpredict.data.store import ObjectStore
from soccerpredict.errors import PredictorUnavailableError
from soccerpredict.models.report import ModelEvaluation
from soccerpredict.monitoring.drift_history import DriftHistory
from soccerpredict.settings import Settings

KEY = "statuses-test-key"
AUTH = {"X-API-Key": KEY}
MATCH = "E0-20240817-arsenal-wolves"
#: Known to no one and never cached: a predictor failure is seen on it, not a cache hit.
OTHER = "E0-20240818-chelsea-everton"
TASK = "5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11"
MAX_BODY = 256


@dataclass(frozen=True)
class Case:
    """One request and the status it must get; ``facade`` picks the app, ``fault`` breaks the predictor first."""

    method: str
    route: str
    status: int
    url: str
    facade: str = "published"
    fault: Exception | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.route} {self.status} ({self.facade})"


def _on_every_route(status: int, facade: str = "published", **kwargs: Any) -> list[Case]:
    return [Case(m, route, status, url, facade, kwargs=kwargs) for m, route, url in ROUTE_URLS]


#: Each route with a URL that reaches it.
ROUTE_URLS = [
    ("get", "/predict/{match_id}", f"/predict/{MATCH}"),
    ("post", "/predict/async/", "/predict/async/"),
    ("get", "/predict/predictions/", "/predict/predictions/"),
    ("get", "/predict/precomputed/{match_id}", f"/predict/precomputed/{MATCH}"),
    ("get", "/predict/cards/", "/predict/cards/"),
    ("get", "/monitoring/task_status/{task_id}", f"/monitoring/task_status/{TASK}"),
    ("get", "/monitoring/drift", "/monitoring/drift"),
    ("get", "/monitoring/drift/report", "/monitoring/drift/report"),
    ("get", "/monitoring/drift/history", "/monitoring/drift/history"),
    ("get", "/monitoring/model", "/monitoring/model"),
    ("get", "/monitoring/model/evaluation", "/monitoring/model/evaluation"),
    ("get", "/health/live", "/health/live"),
    ("get", "/health/ready", "/health/ready"),
    ("get", "/metrics", "/metrics"),
]
PROTECTED = [(m, r, u) for m, r, u in ROUTE_URLS if r.startswith(("/predict", "/monitoring"))]
DOWN = PredictorUnavailableError("the predictor is unreachable (ConnectError); is it running?")
SLOW = PredictorTimeoutError.after(2.0)

CASES: list[Case] = [
    # successes (the async job is accepted on the embedded broker; an accepted job's status is queued)
    Case("get", "/predict/{match_id}", 200, f"/predict/{MATCH}", kwargs={"headers": AUTH}),
    Case("post", "/predict/async/", 202, "/predict/async/", kwargs={"headers": AUTH, "json": [MATCH]}),
    Case("get", "/predict/predictions/", 200, "/predict/predictions/?div=E0&limit=1", kwargs={"headers": AUTH}),
    Case("get", "/predict/precomputed/{match_id}", 200, f"/predict/precomputed/{MATCH}", kwargs={"headers": AUTH}),
    Case("get", "/predict/cards/", 200, "/predict/cards/", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/task_status/{task_id}", 200, "submitted", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/drift", 200, "/monitoring/drift", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/drift/report", 200, "/monitoring/drift/report", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/drift/history", 200, "/monitoring/drift/history", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/model", 200, "/monitoring/model", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/model/evaluation", 200, "/monitoring/model/evaluation", kwargs={"headers": AUTH}),
    Case("get", "/health/live", 200, "/health/live"),
    Case("get", "/health/ready", 200, "/health/ready"),
    Case("get", "/metrics", 200, "/metrics"),
    # 401: no key, and a wrong one
    *[Case(m, r, 401, u) for m, r, u in PROTECTED],
    *[Case(m, r, 401, u, kwargs={"headers": {"X-API-Key": "wrong"}}) for m, r, u in PROTECTED],
    # 413: any request whose body is over the cap, before routing
    *_on_every_route(413, headers=AUTH, content=b"x" * (MAX_BODY + 1)),
    # 422: bad parameters and bodies
    Case("get", "/predict/{match_id}", 422, "/predict/-starts-with-a-dash", kwargs={"headers": AUTH}),
    Case("post", "/predict/async/", 422, "/predict/async/", kwargs={"headers": AUTH, "json": []}),
    Case("get", "/predict/predictions/", 422, "/predict/predictions/?limit=0", kwargs={"headers": AUTH}),
    Case("get", "/predict/precomputed/{match_id}", 422, "/predict/precomputed/_x", kwargs={"headers": AUTH}),
    Case(
        "get", "/monitoring/task_status/{task_id}", 422, "/monitoring/task_status/not_an_id", kwargs={"headers": AUTH}
    ),
    # 400: a body that is not UTF-8
    Case(
        "post",
        "/predict/async/",
        400,
        "/predict/async/",
        kwargs={"headers": {**AUTH, "Content-Type": "application/json"}, "content": b'["\xff"]'},
    ),
    # 404: unknown ids
    Case("get", "/predict/{match_id}", 404, f"/predict/{OTHER}", kwargs={"headers": AUTH}),
    Case("get", "/predict/precomputed/{match_id}", 404, f"/predict/precomputed/{OTHER}", kwargs={"headers": AUTH}),
    Case("get", "/monitoring/task_status/{task_id}", 404, f"/monitoring/task_status/{TASK}", kwargs={"headers": AUTH}),
    # 503: the predictor down, nothing published, the result backend (and so the queue's record) down
    Case("get", "/predict/{match_id}", 503, f"/predict/{OTHER}", fault=DOWN, kwargs={"headers": AUTH}),
    Case("get", "/monitoring/model", 503, "/monitoring/model", fault=DOWN, kwargs={"headers": AUTH}),
    Case("get", "/health/ready", 503, "/health/ready", fault=DOWN),
    *[
        Case("get", route, 503, route, facade="empty", kwargs={"headers": AUTH})
        for route in (
            "/predict/predictions/",
            "/predict/cards/",
            "/monitoring/drift",
            "/monitoring/drift/report",
            "/monitoring/drift/history",
            "/monitoring/model/evaluation",
        )
    ],
    Case(
        "get",
        "/predict/precomputed/{match_id}",
        503,
        f"/predict/precomputed/{MATCH}",
        "empty",
        kwargs={"headers": AUTH},
    ),
    Case("post", "/predict/async/", 503, "/predict/async/", "backend_down", kwargs={"headers": AUTH, "json": [MATCH]}),
    Case(
        "get",
        "/monitoring/task_status/{task_id}",
        503,
        f"/monitoring/task_status/{TASK}",
        "backend_down",
        kwargs={"headers": AUTH},
    ),
    # 504: the predictor too slow
    Case("get", "/predict/{match_id}", 504, f"/predict/{OTHER}", fault=SLOW, kwargs={"headers": AUTH}),
    Case("get", "/monitoring/model", 504, "/monitoring/model", fault=SLOW, kwargs={"headers": AUTH}),
]


def _publish(store: ObjectStore) -> None:
    frame = pd.DataFrame([(MATCH, "E0", "2024-08-17", "Arsenal", "Wolves")], columns=["match_id", "div", "date",
                         "home_team", "away_team"])  # fmt: skip
    frame["date"] = pd.to_datetime(frame["date"])
    frame["p_home"], frame["p_draw"], frame["p_away"] = 0.5, 0.3, 0.2
    frame["model_version"] = "7"
    frame["features_as_of"] = "2024-08-16T06:00:00"
    frame["status"] = "upcoming"
    store.write_parquet(PREDICTIONS_KEY, frame)
    store.write_json(
        CARDS_KEY, [{"match_id": MATCH, "division": "E0", "model": {"home": 0.5, "draw": 0.3, "away": 0.2}}]
    )
    store.write_json(DRIFT_SUMMARY_KEY, {"drifted_share": 0.0, "drifted_features": [], "features": []})
    store.write_bytes(DRIFT_REPORT_KEY, b"<html><body>drift report</body></html>")
    store.write_bytes(
        DRIFT_HISTORY_KEY, DriftHistory.model_validate(example_of(DriftHistory)).model_dump_json().encode()
    )
    evaluation = ModelEvaluation.model_validate(example_of(ModelEvaluation))
    store.write_bytes(MODEL_EVALUATION_KEY, evaluation.to_json().encode())


@dataclass
class Facade:
    client: TestClient
    predictor: StubPredictor


@pytest.fixture(scope="module")
def facades(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Facade]]:
    """The facade with everything published, with nothing published, and with its result backend down."""
    root: Path = tmp_path_factory.mktemp("statuses")
    published = ObjectStore((root / "store").as_uri())
    _publish(published)
    dead_backend = closed_port_url().replace("http://", "redis://") + "/0"
    variants: dict[str, tuple[ObjectStore, dict[str, Any]]] = {
        "published": (published, {}),
        "empty": (ObjectStore((root / "empty").as_uri()), {}),
        "backend_down": (published, {"result_backend": dead_backend}),
    }
    built: dict[str, Facade] = {}
    for name, (store, extra) in variants.items():
        settings = Settings(home=root / name, api_keys=[KEY], api_max_body_bytes=MAX_BODY, **extra)
        predictor = StubPredictor({MATCH: (0.5, 0.3, 0.2)})
        app = create_app(settings, predictor=predictor, store=store, registry=CollectorRegistry())
        client = TestClient(app)
        client.__enter__()
        built[name] = Facade(client, predictor)
    yield built
    for facade in built.values():
        facade.client.__exit__(None, None, None)


@pytest.fixture(scope="module")
def spec(facades: dict[str, Facade]) -> dict[str, Any]:
    return facades["published"].client.app.openapi()  # type: ignore[attr-defined]


def _documented(spec: dict[str, Any], method: str, route: str) -> dict[str, Any]:
    responses: dict[str, Any] = spec["paths"][route][method]["responses"]
    return responses


def _send(facade: Facade, case: Case) -> Any:
    url = case.url
    if url == "submitted":  # the status of a job this facade accepted
        accepted = facade.client.post("/predict/async/", json=[MATCH], headers=AUTH)
        url = accepted.json()["status_url"]
    facade.predictor.error = case.fault
    try:
        return facade.client.request(case.method.upper(), url, **case.kwargs)
    finally:
        facade.predictor.error = None


def _schema_of(spec: dict[str, Any], response: dict[str, Any], media: str) -> dict[str, Any] | None:
    """The documented schema of a body of type ``media`` (parameters such as ``version=1.0.0`` aside)."""
    for documented, content in response.get("content", {}).items():
        if documented.split(";")[0].strip() == media:
            schema: dict[str, Any] = {**content["schema"], "components": spec["components"]}
            return schema
    return None


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_the_route_answers_a_documented_status_with_the_documented_body(
    facades: dict[str, Facade], spec: dict[str, Any], case: Case
) -> None:
    response = _send(facades[case.facade], case)
    assert response.status_code == case.status, response.text
    documented = _documented(spec, case.method, case.route)
    assert str(case.status) in documented, f"{case.id}: answered but not documented ({sorted(documented)})"
    media = response.headers["content-type"].split(";")[0]
    schema = _schema_of(spec, documented[str(case.status)], media)
    assert schema is not None, f"{case.id}: {media} is not a documented body of {case.status}"
    if media == "application/json":
        errors = [e.message for e in Draft202012Validator(schema).iter_errors(response.json())]
        assert not errors, (case.id, response.json(), errors)
    if case.status == 401:
        assert response.headers["WWW-Authenticate"] == "APIKey"
        assert "WWW-Authenticate" in documented["401"]["headers"]


def test_every_documented_status_is_answered_by_some_request(spec: dict[str, Any]) -> None:
    seen = {(c.method, c.route, str(c.status)) for c in CASES}
    documented = {
        (method, route, code)
        for route, ops in spec["paths"].items()
        for method, op in ops.items()
        for code in op["responses"]
    }
    assert documented - seen == set(), "documented but never provoked here: a route that cannot answer it, or a gap"
    assert seen - documented == set()


#: The request behind each route's documented 422 example.
VALIDATION_EXAMPLE_REQUESTS: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("get", "/predict/{match_id}"): ("/predict/-x", {}),
    ("get", "/predict/precomputed/{match_id}"): ("/predict/precomputed/-x", {}),
    ("get", "/predict/predictions/"): ("/predict/predictions/?limit=501", {}),
    ("post", "/predict/async/"): ("/predict/async/", {"json": [MATCH, "-bad"]}),
    ("get", "/monitoring/task_status/{task_id}"): ("/monitoring/task_status/not_an_id", {}),
}


def test_each_422_example_is_what_the_route_answers(facades: dict[str, Facade], spec: dict[str, Any]) -> None:
    with_422 = {(m, r) for r, ops in spec["paths"].items() for m, op in ops.items() if "422" in op["responses"]}
    assert with_422 == set(VALIDATION_EXAMPLE_REQUESTS)
    client = facades["published"].client
    for (method, route), (url, kwargs) in VALIDATION_EXAMPLE_REQUESTS.items():
        example = spec["paths"][route][method]["responses"]["422"]["content"]["application/json"]["example"]
        response = client.request(method.upper(), url, headers=AUTH, **kwargs)
        assert (response.status_code, response.json()) == (422, example), route
