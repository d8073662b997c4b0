"""``soccerpredict demo --check``: every public endpoint of a running stack called once, each answer judged by its
status and its body (a 200 with the wrong body fails the check)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from soccerpredict.artifacts import MODEL_NAME
from soccerpredict.monitoring.metrics import exported_name

__all__ = ["Check", "check_endpoints"]


@dataclass(frozen=True, slots=True)
class Check:
    """One endpoint called once: what was asked, what came back, whether that is what a user should get."""

    name: str
    method: str
    url: str
    status: int | None
    ok: bool
    detail: str


#: Judges an answer's body: a problem to report, or None when the body is what a user should get.
Judge = Callable[[Any], str | None]


def _call(
    client: httpx.Client, name: str, method: str, url: str, expect: int, judge: Judge | None = None, **kwargs: Any
) -> tuple[Check, Any]:
    try:
        response = client.request(method, url, **kwargs)
    except httpx.HTTPError as exc:
        return Check(name, method, url, None, False, f"{type(exc).__name__}: {exc}"), None
    try:
        body = response.json()
    except ValueError:
        body = response.text
    detail = str(body)[:160].replace("\n", " ")
    problem = judge(body) if judge is not None and response.status_code == expect else None
    ok = response.status_code == expect and problem is None
    return Check(name, method, url, response.status_code, ok, f"{problem}: {detail}" if problem else detail), body


def _probabilities(row: Any) -> str | None:
    """A problem with one row's home/draw/away probabilities, or None."""
    if not isinstance(row, dict):
        return "not an object"
    try:
        values = [float(row[k]) for k in ("p_home", "p_draw", "p_away")]
    except (KeyError, TypeError, ValueError):
        return "no p_home, p_draw, p_away"
    if not all(0.0 <= v <= 1.0 for v in values) or abs(sum(values) - 1.0) > 1e-3:
        return f"probabilities {values} do not sum to one"
    return None


def _field(key: str, *allowed: Any) -> Judge:
    """The body's ``key`` is one of ``allowed`` (any non-empty value when none is given)."""

    def judge(body: Any) -> str | None:
        value = body.get(key) if isinstance(body, dict) else None
        if (value in allowed) if allowed else value not in (None, "", [], {}):
            return None
        return f"{key} is {value!r}" + (f", expected one of {list(allowed)}" if allowed else "")

    return judge


def _prediction_of(match_id: str) -> Judge:
    def judge(body: Any) -> str | None:
        if not isinstance(body, dict) or body.get("match_id") != match_id:
            return f"not the prediction of {match_id}"
        return _probabilities(body)

    return judge


def _rows(body: Any, *, may_be_empty: bool = False) -> str | None:
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list) or not (items or may_be_empty):
        return "no rows"
    return next((f"row {i}: {p}" for i, p in enumerate(map(_probabilities, items)) if p), None)


def _card_probabilities(card: Any) -> Any:
    model = card.get("model") if isinstance(card, dict) else None
    return {f"p_{k}": v for k, v in model.items()} if isinstance(model, dict) else card


def _cards(body: Any) -> str | None:
    # A sample without fixtures may publish no cards; each one published carries the model's probabilities.
    if not isinstance(body, list):
        return "not a list of cards"
    rows = [_card_probabilities(card) for card in body]
    return _rows(rows, may_be_empty=True)


def _contains(text: str) -> Judge:
    return lambda body: None if text in str(body) else f"no {text!r} in the answer"


def check_endpoints(
    api_url: str,
    predictor_url: str,
    api_key: str,
    *,
    timeout: float = 60.0,
    transport: httpx.BaseTransport | None = None,
    ui_url: str | None = None,
) -> list[Check]:
    """Call every endpoint of the facade and the predictor once and judge each answer: its status and its body.

    The match used is the first of the published predictions, so the check needs a finished pipeline run.
    With ``ui_url``, the web UI's health endpoint and its page are checked too.
    """
    headers = {"X-API-Key": api_key}
    checks: list[Check] = []
    with httpx.Client(timeout=10.0, transport=transport) as client:

        def call(name: str, method: str, url: str, expect: int = 200, judge: Judge | None = None, **kw: Any) -> Any:
            check, body = _call(client, name, method, url, expect, judge, **kw)
            checks.append(check)
            return body

        call("liveness", "GET", f"{api_url}/health/live", judge=_field("status", "alive"))
        call("readiness", "GET", f"{api_url}/health/ready", judge=_field("status", "ready"))
        call("no API key is refused", "GET", f"{api_url}/predict/predictions/", expect=401)
        predictions = call(
            "precomputed predictions", "GET", f"{api_url}/predict/predictions/", judge=_rows, headers=headers
        )
        items = predictions.get("items", predictions) if isinstance(predictions, dict) else predictions
        match_id = (
            items[0].get("match_id") if isinstance(items, list) and items and isinstance(items[0], dict) else None
        )
        if match_id is None:
            checks.append(Check("a published match", "GET", f"{api_url}/predict/predictions/", None, False, "none"))
        else:
            one = _prediction_of(match_id)
            call(
                "one precomputed prediction",
                "GET",
                f"{api_url}/predict/precomputed/{match_id}",
                judge=one,
                headers=headers,
            )
            call("sync prediction (model)", "GET", f"{api_url}/predict/{match_id}", judge=one, headers=headers)
            call("sync prediction (cache or model)", "GET", f"{api_url}/predict/{match_id}", judge=one, headers=headers)
            call(
                "unknown match is 404",
                "GET",
                f"{api_url}/predict/E0-20000101-nobody-no-one",
                expect=404,
                headers=headers,
            )
            job = call(
                "async job queued",
                "POST",
                f"{api_url}/predict/async/",
                202,
                _field("task_id"),
                json=[match_id],
                headers=headers,
            )
            task_id = job.get("task_id") if isinstance(job, dict) else None
            if task_id:
                checks.append(_wait_task(client, api_url, task_id, headers, timeout))
        call("prediction cards", "GET", f"{api_url}/predict/cards/", judge=_cards, headers=headers)
        call("model in service", "GET", f"{api_url}/monitoring/model", judge=_field("version"), headers=headers)
        call("drift result", "GET", f"{api_url}/monitoring/drift", judge=_field("features"), headers=headers)
        call("drift history", "GET", f"{api_url}/monitoring/drift/history", judge=_field("entries"), headers=headers)
        call(
            "drift report (HTML)",
            "GET",
            f"{api_url}/monitoring/drift/report",
            judge=_contains("<html"),
            headers=headers,
        )
        # The facade's request counter, under the application's prefix: an unprefixed or foreign exposition fails.
        requests_family = f"# TYPE {exported_name('http_requests_total')} counter"
        call("Prometheus metrics", "GET", f"{api_url}/metrics", judge=_contains(requests_family))
        call("OpenAPI document", "GET", f"{api_url}/openapi.json", judge=_field("paths"))
        call("predictor v2 health", "GET", f"{predictor_url}/v2/health/ready", judge=_field("ready", True))
        call("predictor v2 metadata", "GET", f"{predictor_url}/v2/models/{MODEL_NAME}", judge=_field("versions"))
        if ui_url is not None:
            call("web UI health", "GET", f"{ui_url}/_stcore/health", judge=_contains("ok"))
            call("web UI page", "GET", f"{ui_url}/", judge=_contains("<html"))
    return checks


def _wait_task(client: httpx.Client, api_url: str, task_id: str, headers: Mapping[str, str], timeout: float) -> Check:
    url = f"{api_url}/monitoring/task_status/{task_id}"
    deadline = time.monotonic() + timeout
    last: Check | None = None
    while time.monotonic() < deadline:
        last, body = _call(client, "async job done", "GET", url, 200, headers=headers)
        state = body.get("status") if isinstance(body, dict) else None
        if state in {"done", "failed"}:
            result = body.get("result") if isinstance(body, dict) else None
            rows = result.get("predictions") if isinstance(result, dict) else None
            problem = None if state == "failed" else _rows(rows)
            detail = f"{problem}: {last.detail}" if problem else last.detail
            return Check(last.name, "GET", url, last.status, state == "done" and problem is None, detail)
        time.sleep(0.5)
    detail = last.detail if last else "no answer"
    return Check(
        "async job done", "GET", url, last.status if last else None, False, f"not done in {timeout} s: {detail}"
    )
