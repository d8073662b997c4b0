"""The facade's OpenAPI document is the contract: valid OpenAPI, every route of DESIGN.md section 5 with a clean
operationId, every error response documented with the JSON ``detail`` body, examples on every route and model, and
every example valid against its schema. tests/contract/test_openapi_statuses.py checks the documented statuses
against what the routes really answer."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from api_doubles import StubPredictor
from fastapi import FastAPI
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from prometheus_client import CollectorRegistry

from components.publish import _card
from serving.api.app import create_app
from serving.api.routers import example_of, operation_id
from serving.api.schemas import Card
from soccerpredict.settings import Settings

#: (method, path) -> the error statuses the route documents (besides 422 for bad input). Every route may answer 413
#: (a body over SOCCER_API_MAX_BODY_BYTES is refused before routing); the one with a body also 400 (not UTF-8).
ROUTES: dict[tuple[str, str], set[int]] = {
    ("get", "/predict/{match_id}"): {401, 404, 413, 503, 504},
    ("post", "/predict/async/"): {400, 401, 413, 503},
    ("get", "/predict/predictions/"): {401, 413, 503},
    ("get", "/predict/precomputed/{match_id}"): {401, 404, 413, 503},
    ("get", "/predict/cards/"): {401, 413, 503},
    ("get", "/monitoring/task_status/{task_id}"): {401, 404, 413, 503},
    ("get", "/monitoring/drift"): {401, 413, 503},
    ("get", "/monitoring/drift/report"): {401, 413, 503},
    ("get", "/monitoring/drift/history"): {401, 413, 503},
    ("get", "/monitoring/model"): {401, 413, 503, 504},
    ("get", "/monitoring/model/evaluation"): {401, 413, 503},
    ("get", "/health/live"): {413},
    ("get", "/health/ready"): {413, 503},
    ("get", "/metrics"): {413},
}
ERROR_REF = "#/components/schemas/ErrorResponse"
#: What generated clients call each route: the route function's name.
OPERATION_IDS: dict[tuple[str, str], str] = {
    ("get", "/predict/{match_id}"): "predict_match",
    ("post", "/predict/async/"): "submit_async_job",
    ("get", "/predict/predictions/"): "list_predictions",
    ("get", "/predict/precomputed/{match_id}"): "get_precomputed_prediction",
    ("get", "/predict/cards/"): "list_cards",
    ("get", "/monitoring/task_status/{task_id}"): "get_task_status",
    ("get", "/monitoring/drift"): "get_drift",
    ("get", "/monitoring/drift/report"): "get_drift_report",
    ("get", "/monitoring/drift/history"): "get_drift_history",
    ("get", "/monitoring/model"): "get_model",
    ("get", "/monitoring/model/evaluation"): "get_model_evaluation",
    ("get", "/health/live"): "live",
    ("get", "/health/ready"): "ready",
    ("get", "/metrics"): "get_metrics",
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    home: Path = tmp_path_factory.mktemp("openapi")
    settings = Settings(home=home, store_uri=(home / "store").as_uri(), api_keys=["k"])
    app = create_app(settings, predictor=StubPredictor({}), registry=CollectorRegistry())
    return app.openapi()


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(method, path): op for path, ops in spec["paths"].items() for method, op in ops.items()}


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.")


def test_exactly_the_designed_routes_exist(spec: dict[str, Any]) -> None:
    assert set(_operations(spec)) == set(ROUTES)


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_every_route_documents_its_errors_with_the_detail_body(spec: dict[str, Any], method: str, path: str) -> None:
    operation = _operations(spec)[(method, path)]
    documented = {int(code) for code in operation["responses"] if code != "422" and int(code) >= 400}
    assert documented == ROUTES[(method, path)]
    for code in documented:
        response = operation["responses"][str(code)]
        assert response["description"]
        schema = response["content"]["application/json"]["schema"]["$ref"]
        if (path, code) == ("/health/ready", 503):
            assert schema.endswith("/Readiness")  # the report says which dependency is not ready (has `detail`)
        else:
            assert schema == ERROR_REF
            assert "detail" in response["content"]["application/json"]["example"]


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_every_route_has_a_summary_and_a_described_success(spec: dict[str, Any], method: str, path: str) -> None:
    operation = _operations(spec)[(method, path)]
    assert operation["summary"]
    success = [code for code in operation["responses"] if code.startswith("2")]
    assert len(success) == 1
    assert operation["responses"][success[0]]["content"]


def test_routes_with_parameters_or_a_body_document_the_bounded_422(spec: dict[str, Any]) -> None:
    for (method, path), operation in _operations(spec).items():
        takes_input = bool(operation.get("parameters") or operation.get("requestBody"))
        assert ("422" in operation["responses"]) == takes_input, (method, path)
        if takes_input:
            media = operation["responses"]["422"]["content"]["application/json"]
            assert media["schema"]["$ref"] == "#/components/schemas/ValidationErrorResponse"
            assert media["example"]["detail"], (method, path)
    assert "HTTPValidationError" not in spec["components"]["schemas"], "FastAPI's generic 422 is still documented"


def test_protected_routes_declare_the_api_key_and_the_401_header(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert (scheme["type"], scheme["in"], scheme["name"]) == ("apiKey", "header", "X-API-Key")
    for (_, path), operation in _operations(spec).items():
        protected = path.startswith(("/predict", "/monitoring"))
        assert (operation.get("security") == [{"ApiKey": []}]) == protected, path
        if protected:
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


def test_every_response_model_carries_examples(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    ours = [
        "Prediction", "TaskAccepted", "TaskStatus", "PredictionPage", "PrecomputedPrediction", "Card",
        "DriftSummary", "ModelInfo", "Liveness", "Readiness", "ErrorResponse", "ValidationErrorResponse",
    ]  # fmt: skip
    for name in ours:
        schema = schemas[name]
        has_examples = bool(schema.get("examples")) or all(
            p.get("examples") for p in schema.get("properties", {}).values()
        )
        assert has_examples, name


def test_the_async_body_and_match_ids_are_constrained(spec: dict[str, Any]) -> None:
    body = spec["paths"]["/predict/async/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert (body["type"], body["minItems"], body["maxItems"]) == ("array", 1, 1000)
    assert body["items"]["pattern"] and body["examples"]
    param = spec["paths"]["/predict/{match_id}"]["get"]["parameters"][0]
    assert param["schema"]["pattern"] and param["schema"]["examples"]


def test_operation_ids_are_the_route_names(spec: dict[str, Any]) -> None:
    ids = {key: op["operationId"] for key, op in _operations(spec).items()}
    assert ids == OPERATION_IDS
    assert len(set(ids.values())) == len(ids)


def test_a_route_name_that_is_not_snake_case_is_refused() -> None:
    app = FastAPI(generate_unique_id_function=operation_id)

    async def getThing() -> dict[str, str]:  # noqa: N802 - the name under test
        return {}

    with pytest.raises(ValueError, match="getThing"):
        app.get("/thing")(getThing)


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    # The components travel with the schema, so its "#/components/schemas/…" references resolve.
    return Draft202012Validator({**schema, "components": spec["components"]})


def _json_examples(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any], Any]]:
    """(where, schema, example) of every JSON example of the operations: responses, request bodies, parameters."""
    found = []
    for (method, path), op in _operations(spec).items():
        where = f"{method.upper()} {path}"
        for code, response in op["responses"].items():
            media = response.get("content", {}).get("application/json")
            if media and "example" in media:
                found.append((f"{where} {code}", media["schema"], media["example"]))
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if body:
            found += [(f"{where} body", body, example) for example in body.get("examples", [])]
        for param in op.get("parameters", []):
            found += [(f"{where} {param['name']}", param["schema"], ex) for ex in param["schema"].get("examples", [])]
    return found


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
def test_every_route_shows_an_example_of_its_success(spec: dict[str, Any], method: str, path: str) -> None:
    operation = _operations(spec)[(method, path)]
    (success,) = [r for code, r in operation["responses"].items() if code.startswith("2")]
    assert all("example" in media for media in success["content"].values()), success
    if "requestBody" in operation:
        assert operation["requestBody"]["content"]["application/json"]["schema"]["examples"]


def test_every_example_of_the_routes_is_valid_against_its_schema(spec: dict[str, Any]) -> None:
    examples = _json_examples(spec)
    assert len(examples) > 2 * len(ROUTES)  # successes, errors, the body and the path parameters
    for where, schema, example in examples:
        errors = [e.message for e in _validator(spec, schema).iter_errors(example)]
        assert not errors, (where, example, errors)


def test_every_example_of_the_models_is_valid_against_its_schema(spec: dict[str, Any]) -> None:
    checked = 0
    for name, schema in spec["components"]["schemas"].items():
        for example in schema.get("examples", []):
            errors = [e.message for e in _validator(spec, schema).iter_errors(example)]
            assert not errors, (name, example, errors)
            checked += 1
    assert checked >= 10


def test_the_card_example_is_what_the_build_cards_stage_writes() -> None:
    example = example_of(Card)
    row = SimpleNamespace(
        match_id=example["match_id"], div=example["division"], date=example["date"],
        kickoff_time=example["kickoff_time"], home_team=example["home_team"], away_team=example["away_team"],
        status=example["status"], ftr=example["result"], model_version=example["model_version"],
        p_home=example["model"]["home"], p_draw=example["model"]["draw"], p_away=example["model"]["away"],
    )  # fmt: skip
    market = np.array([example["market"][k] for k in ("home", "draw", "away")])
    assert _card(row, market) == example
