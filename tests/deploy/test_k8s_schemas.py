"""Every rendered object against a schema: Kubernetes 1.30 (strict) for core kinds, the KServe SDK's models for the
InferenceService, the ExternalSecret schema subset for External Secrets. A kind with no schema fails."""

from __future__ import annotations

import copy
import re
from typing import Any

import crd_validation as cv
import kubernetes_validate
import pytest

K8S_VERSION = "1.30.0"
Objects = list[dict[str, Any]]


def validate(obj: dict[str, Any]) -> None:
    """Validate one object; raises on any schema error or on a kind nothing here can validate."""
    custom = cv.CRD_VALIDATORS.get((obj.get("apiVersion"), obj.get("kind")))
    if custom is not None:
        custom(obj)
        return
    try:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as exc:
        pytest.fail(
            f"no schema for {obj.get('apiVersion')} {obj.get('kind')} and no validator in crd_validation: {exc}"
        )


@pytest.mark.parametrize("overlay", ["local", "prod"])
def test_every_object_validates(rendered: dict[str, Objects], overlay: str) -> None:
    failures = []
    for obj in rendered[overlay]:
        try:
            validate(obj)
        except (kubernetes_validate.ValidationError, cv.CrdValidationError) as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc}")
    assert not failures, "\n".join(failures)


def _deployment(rendered: dict[str, Objects]) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in rendered["local"] if o["kind"] == "Deployment"))


def test_kubernetes_validate_rejects_a_wrong_type(rendered: dict[str, Objects]) -> None:
    bad = _deployment(rendered)
    bad["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_kubernetes_validate_strict_rejects_an_unknown_field(rendered: dict[str, Objects]) -> None:
    bad = _deployment(rendered)
    bad["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


def test_unknown_kind_is_not_silently_skipped() -> None:
    odd = {"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "g"}}
    with pytest.raises(pytest.fail.Exception):
        validate(odd)


# --- InferenceService: the KServe SDK's classes -----------------------------------------------------------------


@pytest.fixture(scope="module")
def isvc(rendered: dict[str, Objects]) -> dict[str, Any]:
    return next(o for o in rendered["prod"] if o["kind"] == "InferenceService")


def test_inference_service_builds_the_sdk_model(isvc: dict[str, Any]) -> None:
    from kserve.models import V1beta1InferenceService

    model = cv.validate_inference_service(isvc)
    assert isinstance(model, V1beta1InferenceService)
    predictor = model.spec.predictor
    assert (predictor.min_replicas, predictor.max_replicas) == (2, 6)
    container = predictor.containers[0]
    assert container.name == "kserve-container"
    assert container.readiness_probe.http_get.path == "/v2/models/soccer-1x2/ready"
    assert container.readiness_probe.http_get.port == 8080


def _broken(isvc: dict[str, Any], change: str) -> dict[str, Any]:
    bad = copy.deepcopy(isvc)
    predictor = bad["spec"]["predictor"]
    container = predictor["containers"][0]
    if change == "wrong type":
        predictor["minReplicas"] = "2"
    elif change == "bool for int":
        predictor["maxReplicas"] = True
    elif change == "unknown field":
        predictor["minReplica"] = 2
    elif change == "unknown nested field":
        container["readinessProbe"]["httpGet"]["paht"] = "/x"
    elif change == "missing container name":
        del container["name"]
    elif change == "missing probe port":
        del container["readinessProbe"]["httpGet"]["port"]
    elif change == "missing predictor":
        del bad["spec"]["predictor"]
    elif change == "env value not a string":
        container["env"][0] = {"name": "SOCCER_PREDICTOR_PORT", "value": 8080}
    return bad


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("wrong type", "minReplicas: expected int"),
        ("bool for int", "maxReplicas: expected int"),
        ("unknown field", "unknown field(s) ['minReplica']"),
        ("unknown nested field", "unknown field(s) ['paht']"),
        ("missing container name", "Invalid value for `name`, must not be `None`"),
        ("missing probe port", "Invalid value for `port`, must not be `None`"),
        ("missing predictor", "Invalid value for `predictor`, must not be `None`"),
        ("env value not a string", "env[0].value: expected str"),
    ],
)
def test_inference_service_errors_are_caught(isvc: dict[str, Any], change: str, message: str) -> None:
    with pytest.raises(cv.CrdValidationError, match=re.escape(message)):
        cv.validate_inference_service(_broken(isvc, change))


# --- ExternalSecret ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def external_secret(rendered: dict[str, Objects]) -> dict[str, Any]:
    return next(
        o for o in rendered["prod"] if o["kind"] == "ExternalSecret" and o["spec"].get("target", {}).get("template")
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("spec", "secretStoreRef", "kind"), "SecretStores", "is not one of"),
        (("spec", "target", "creationPolicy"), "Always", "is not one of"),
        (("spec", "refreshInteval"), "1h", "Additional properties"),
        (("spec", "target", "template", "engineVersion"), "v3", "is not one of"),
    ],
)
def test_external_secret_errors_are_caught(
    external_secret: dict[str, Any], path: tuple[str, ...], value: str, message: str
) -> None:
    bad = copy.deepcopy(external_secret)
    node = bad
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    with pytest.raises(cv.CrdValidationError, match=message):
        cv.validate_external_secret(bad)


def test_external_secret_needs_a_store(external_secret: dict[str, Any]) -> None:
    bad = copy.deepcopy(external_secret)
    del bad["spec"]["secretStoreRef"]
    with pytest.raises(cv.CrdValidationError, match="'secretStoreRef' is a required property"):
        cv.validate_external_secret(bad)
