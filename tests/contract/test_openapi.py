"""The facade's OpenAPI document is the contract: valid OpenAPI, every route of DESIGN.md section 5, every error
response documented with the JSON ``detail`` body, examples on every model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_doubles import StubPredictor
from openapi_spec_validator import validate
from prometheus_client import CollectorRegistry

from serving.api.app import create_app
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
    ("get", "/monitoring/model"): {401, 413, 503, 504},
    ("get", "/health/live"): {413},
    ("get", "/health/ready"): {413, 503},
    ("get", "/metrics"): {413},
}
ERROR_REF = "#/components/schemas/ErrorResponse"


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
        "DriftSummary", "ModelInfo", "Liveness", "Readiness", "ErrorResponse",
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
