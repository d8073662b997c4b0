"""Validation of the custom resources the manifests use, which kubernetes-validate has no schema for.

- ``InferenceService`` (serving.kserve.io/v1beta1): deserialised into the KServe SDK's own model classes
  (``kserve.models``, falling back to ``kubernetes.client.models`` for the core types they embed, e.g.
  ``V1Container``), strictly: an unknown field, a value of the wrong JSON type, or a required field the model's
  constructor refuses is an error with its path. The SDK's ``ApiClient.deserialize`` is not used because it
  silently drops unknown fields and coerces types (``int("8")``).
- ``ExternalSecret`` (external-secrets.io/v1): a JSON schema holding the fields used here, written from the
  External Secrets Operator's CRD (``config/crds/bases/external-secrets.io_externalsecrets.yaml``), closed with
  ``additionalProperties: false`` so a typo fails.
"""

from __future__ import annotations

import re
from datetime import datetime
from types import ModuleType
from typing import Any

import jsonschema


class CrdValidationError(ValueError):
    """A custom resource does not match its schema; the message names the path."""


# --- KServe -----------------------------------------------------------------------------------------------------


class StrictOpenApiDeserializer:
    """Builds openapi-generator model objects from plain dicts, refusing what the generated code would let pass."""

    def __init__(self, *modules: ModuleType) -> None:
        self.modules = modules

    def model_class(self, name: str) -> type | None:
        """The generated class called ``name`` in the first module that has it."""
        for module in self.modules:
            klass = getattr(module, name, None)
            if isinstance(klass, type):
                return klass
        return None

    def build(self, data: Any, type_name: str, path: str = "$") -> Any:
        """``data`` as an instance of ``type_name`` (an openapi type string: ``V1Container``, ``list[str]``...)."""
        inner = re.fullmatch(r"list\[(.+)\]", type_name)
        if inner:
            if not isinstance(data, list):
                raise CrdValidationError(f"{path}: expected a list ({type_name}), got {type(data).__name__}")
            return [self.build(item, inner.group(1), f"{path}[{i}]") for i, item in enumerate(data)]
        inner = re.fullmatch(r"dict\(str, (.+)\)", type_name)
        if inner:
            if not isinstance(data, dict):
                raise CrdValidationError(f"{path}: expected a map ({type_name}), got {type(data).__name__}")
            return {str(k): self.build(v, inner.group(1), f"{path}.{k}") for k, v in data.items()}
        if type_name in _PRIMITIVES:
            if not _PRIMITIVES[type_name](data):
                raise CrdValidationError(f"{path}: expected {type_name}, got {type(data).__name__} {data!r}")
            return data
        klass = self.model_class(type_name)
        if klass is None:
            raise CrdValidationError(f"{path}: the SDK has no class {type_name} to validate this field with")
        return self._model(data, klass, path)

    def _model(self, data: Any, klass: type, path: str) -> Any:
        if not isinstance(data, dict):
            raise CrdValidationError(f"{path}: expected an object ({klass.__name__}), got {type(data).__name__}")
        types: dict[str, str] = klass.openapi_types  # type: ignore[attr-defined]
        json_names: dict[str, str] = klass.attribute_map  # type: ignore[attr-defined]
        by_json = {json_name: attr for attr, json_name in json_names.items()}
        unknown = sorted(set(data) - set(by_json))
        if unknown:
            raise CrdValidationError(f"{path}: unknown field(s) {unknown} for {klass.__name__}")
        kwargs = {by_json[key]: self.build(value, types[by_json[key]], f"{path}.{key}") for key, value in data.items()}
        try:
            return klass(**kwargs)  # client-side validation: required fields, enums, some formats
        except (ValueError, TypeError) as exc:
            raise CrdValidationError(f"{path}: {klass.__name__}: {exc}") from exc


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


_PRIMITIVES = {
    "str": lambda v: isinstance(v, str),
    "int": _is_int,
    "float": lambda v: _is_int(v) or isinstance(v, float),
    "bool": lambda v: isinstance(v, bool),
    "object": lambda v: True,
    "datetime": lambda v: isinstance(v, str | datetime),
    "date": lambda v: isinstance(v, str),
}


def validate_inference_service(obj: dict[str, Any]) -> Any:
    """The InferenceService as a ``kserve.models.V1beta1InferenceService``; CrdValidationError when it is not one."""
    import kserve.models
    import kubernetes.client.models

    if obj.get("apiVersion") != "serving.kserve.io/v1beta1" or obj.get("kind") != "InferenceService":
        raise CrdValidationError(f"not a serving.kserve.io/v1beta1 InferenceService: {obj.get('apiVersion')}")
    if not isinstance(obj.get("spec"), dict):
        raise CrdValidationError("$.spec is required")
    deserializer = StrictOpenApiDeserializer(kserve.models, kubernetes.client.models)
    return deserializer.build(obj, "V1beta1InferenceService")


# --- External Secrets -------------------------------------------------------------------------------------------

_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 253,
    "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$",
}
_KEY = {"type": "string", "minLength": 1, "maxLength": 253, "pattern": r"^[-._a-zA-Z0-9]+$"}
_REMOTE_REF = {
    "type": "object",
    "additionalProperties": False,
    "required": ["key"],
    "properties": {
        "key": {"type": "string", "minLength": 1},
        "property": {"type": "string"},
        "version": {"type": "string"},
        "conversionStrategy": {"enum": ["Default", "Unicode"]},
        "decodingStrategy": {"enum": ["Auto", "Base64", "Base64URL", "None"]},
        "metadataPolicy": {"enum": ["None", "Fetch"]},
    },
}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

EXTERNAL_SECRET_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "external-secrets.io/v1"},
        "kind": {"const": "ExternalSecret"},
        "metadata": {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {"name": _NAME, "namespace": _NAME, "labels": _STRING_MAP, "annotations": _STRING_MAP},
        },
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["secretStoreRef", "target"],
            "anyOf": [{"required": ["data"]}, {"required": ["dataFrom"]}],
            "properties": {
                "refreshInterval": {"type": "string", "pattern": r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$|^0$"},
                "refreshPolicy": {"enum": ["CreatedOnce", "Periodic", "OnChange"]},
                "secretStoreRef": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["name"],
                    "properties": {"kind": {"enum": ["SecretStore", "ClusterSecretStore"]}, "name": _NAME},
                },
                "target": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "name": _NAME,
                        "creationPolicy": {"enum": ["Owner", "Orphan", "Merge", "None"]},
                        "deletionPolicy": {"enum": ["Delete", "Merge", "Retain"]},
                        "immutable": {"type": "boolean"},
                        "template": {
                            "type": "object",
                            "additionalProperties": False,
                            "properties": {
                                "engineVersion": {"enum": ["v1", "v2"]},
                                "mergePolicy": {"enum": ["Replace", "Merge"]},
                                "type": {"type": "string"},
                                "data": _STRING_MAP,
                                "metadata": {
                                    "type": "object",
                                    "additionalProperties": False,
                                    "properties": {"labels": _STRING_MAP, "annotations": _STRING_MAP},
                                },
                            },
                        },
                    },
                },
                "data": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["secretKey", "remoteRef"],
                        "properties": {"secretKey": _KEY, "remoteRef": _REMOTE_REF},
                    },
                },
                "dataFrom": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {"extract": _REMOTE_REF},
                    },
                },
            },
        },
    },
}


def validate_external_secret(obj: dict[str, Any]) -> None:
    """CrdValidationError when ``obj`` is not an ExternalSecret of the subset above."""
    validator = jsonschema.Draft7Validator(EXTERNAL_SECRET_SCHEMA)
    errors = sorted(validator.iter_errors(obj), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first.absolute_path)
        raise CrdValidationError(f"{where}: {first.message}")


#: Custom resources in the manifests and how each is validated; anything else without a schema is an error.
CRD_VALIDATORS = {
    ("serving.kserve.io/v1beta1", "InferenceService"): validate_inference_service,
    ("external-secrets.io/v1", "ExternalSecret"): validate_external_secret,
}
