"""The v2 protocol of ``soccer-1x2``: request tensors parsed and validated, response tensors and metadata built.

Inputs (exactly one per request):

- ``features`` FP32 ``[n, n_features]``, columns in the order published by the model metadata
  (``parameters.feature_names``), finite numbers only;
- ``match_id`` BYTES ``[n]``: features come from the latest match-features snapshot, and results
  are cached in Redis under ``predict:{match_id}:{model_version}``, unless the request parameter
  ``cache`` is ``"caller"``: then the client owns the cache for it (the facade) and the predictor neither
  reads nor writes it.

Outputs: ``probabilities`` FP32 ``[n, 3]`` (home, draw, away) and ``model_version`` BYTES ``[n]``.
Every malformed request is an ``InvalidInput`` (HTTP 400) whose message says what to send instead.

Pure helpers over kserve's request and response types; :mod:`serving.predictor.model` is the model class
that uses them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np
from kserve import InferOutput, InferRequest, InferResponse
from kserve.errors import InvalidInput

from serving.common.cache import CACHE_BY_CALLER, CACHE_BY_PREDICTOR, CACHE_PARAMETER
from soccerpredict.artifacts import MODEL_NAME, PROBABILITY_COLUMNS

if TYPE_CHECKING:
    from serving.predictor.champion import Champion

__all__ = [
    "INPUT_FEATURES",
    "INPUT_MATCH_ID",
    "MAX_ROWS",
    "OUTPUT_MODEL_VERSION",
    "OUTPUT_PROBABILITIES",
    "FeatureRows",
    "MatchIds",
    "build_response",
    "caller_caches",
    "input_types",
    "model_metadata",
    "output_types",
    "parse_features",
    "parse_match_ids",
    "parse_request",
]

INPUT_FEATURES: Final = "features"
INPUT_MATCH_ID: Final = "match_id"
OUTPUT_PROBABILITIES: Final = "probabilities"
OUTPUT_MODEL_VERSION: Final = "model_version"
#: Rows per request; larger batches belong to batch inference.
MAX_ROWS: Final = 10_000
_EXPECTED: Final = (
    f"send either {INPUT_FEATURES!r} (FP32 [n, n_features], columns in the order of the model metadata's "
    f"parameters.feature_names) or {INPUT_MATCH_ID!r} (BYTES [n])"
)


@dataclass(frozen=True, slots=True)
class FeatureRows:
    """A request carrying its own features."""

    values: np.ndarray


@dataclass(frozen=True, slots=True)
class MatchIds:
    """A request naming matches whose features come from the snapshot."""

    ids: tuple[str, ...]


def parse_request(request: Any, feature_names: Sequence[str]) -> FeatureRows | MatchIds:
    """Validate a v2 request against the served model; InvalidInput (HTTP 400) says what is wrong."""
    if not isinstance(request, InferRequest):
        raise InvalidInput(f"this predictor speaks the v2 protocol: POST /v2/models/{MODEL_NAME}/infer")
    names = [tensor.name for tensor in request.inputs]
    if len(names) != 1:
        got = f"inputs {names}" if names else "no inputs"
        raise InvalidInput(f"the request has {got}; {_EXPECTED}")
    tensor = request.inputs[0]
    if tensor.name == INPUT_FEATURES:
        return FeatureRows(parse_features(tensor, feature_names))
    if tensor.name == INPUT_MATCH_ID:
        return MatchIds(parse_match_ids(tensor))
    raise InvalidInput(f"unknown input {tensor.name!r}; {_EXPECTED}")


def caller_caches(request: InferRequest) -> bool:
    """Whether the request's ``cache`` parameter hands the prediction cache to the caller (see the module doc)."""
    value = (request.parameters or {}).get(CACHE_PARAMETER)
    value = getattr(value, "string_param", value)  # gRPC parameters are InferParameter messages
    if value in (None, CACHE_BY_PREDICTOR):
        return False
    if value == CACHE_BY_CALLER:
        return True
    raise InvalidInput(
        f"request parameter {CACHE_PARAMETER!r} is {value!r}; send {CACHE_BY_CALLER!r} (the caller caches) "
        f"or {CACHE_BY_PREDICTOR!r} (the predictor caches, the default)"
    )


def parse_features(tensor: Any, feature_names: Sequence[str]) -> np.ndarray:
    """The ``features`` tensor as finite float32 [n, n_features]."""
    n_features = len(feature_names)
    _require_datatype(tensor, "FP32")
    shape = list(tensor.shape)
    if len(shape) != 2 or shape[1] != n_features:
        raise InvalidInput(
            f"input {INPUT_FEATURES!r} must have shape [n, {n_features}] (one column per feature: "
            f"{', '.join(feature_names)}), got {shape}"
        )
    _require_rows(INPUT_FEATURES, shape[0])
    try:
        values = np.ascontiguousarray(tensor.as_numpy(), dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"input {INPUT_FEATURES!r} data is not {shape} FP32 numbers: {exc}") from exc
    finite = np.isfinite(values)
    if not finite.all():
        rows = np.flatnonzero(~finite.all(axis=1))[:10].tolist()
        columns = [feature_names[i] for i in np.flatnonzero(~finite.all(axis=0)).tolist()]
        raise InvalidInput(
            f"input {INPUT_FEATURES!r} has NaN or infinite values in row(s) {rows}, column(s) {columns}; "
            "send finite numbers (or send match_id to use the stored features)"
        )
    return values


def parse_match_ids(tensor: Any) -> tuple[str, ...]:
    """The ``match_id`` tensor as non-empty strings."""
    _require_datatype(tensor, "BYTES")
    shape = list(tensor.shape)
    if len(shape) != 1:
        raise InvalidInput(f"input {INPUT_MATCH_ID!r} must have shape [n], got {shape}")
    _require_rows(INPUT_MATCH_ID, shape[0])
    try:
        raw = tensor.as_numpy().ravel().tolist()
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"input {INPUT_MATCH_ID!r} data does not fit shape {shape}: {exc}") from exc
    ids = []
    for value in raw:
        if isinstance(value, bytes):
            try:
                value = value.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InvalidInput(f"input {INPUT_MATCH_ID!r} has a value that is not UTF-8: {value!r}") from exc
        if not isinstance(value, str) or not value:
            raise InvalidInput(f"input {INPUT_MATCH_ID!r} values must be non-empty strings, got {value!r}")
        ids.append(value)
    return tuple(ids)


def _require_datatype(tensor: Any, datatype: str) -> None:
    if tensor.datatype != datatype:
        raise InvalidInput(f"input {tensor.name!r} must have datatype {datatype}, got {tensor.datatype}")


def _require_rows(name: str, n: int) -> None:
    if not 1 <= n <= MAX_ROWS:
        raise InvalidInput(f"input {name!r} must have between 1 and {MAX_ROWS} rows, got {n}")


def build_response(request: InferRequest, proba: np.ndarray, version: str, model_name: str) -> InferResponse:
    """The v2 response: probabilities [n, 3] and the model version per row (binary if the client asked, or gRPC)."""
    n = proba.shape[0]
    outputs = [
        # ndarray data is encoded once: by to_rest, as JSON or binary per the request, or below for gRPC.
        InferOutput(name=OUTPUT_PROBABILITIES, shape=[n, len(PROBABILITY_COLUMNS)], datatype="FP32", data=proba),
        InferOutput(
            name=OUTPUT_MODEL_VERSION,
            shape=[n],
            datatype="BYTES",
            data=np.array([version.encode()] * n, dtype=np.object_),
        ),
    ]
    if request.from_grpc:
        # gRPC answers raw contents; kserve 0.21's to_grpc cannot take ndarray data itself (it tests the
        # array's truth value), so encode here.
        for output in outputs:
            output.set_data_from_numpy(output.data, binary_data=True)
    return InferResponse(
        response_id=request.id or str(uuid.uuid4()),  # id=None fails kserve's response model (HTTP 500)
        model_name=model_name,
        model_version=version,
        infer_outputs=outputs,
        use_binary_outputs=request.use_binary_outputs,
        requested_outputs=request.request_outputs,
    )


def input_types(n_features: int) -> list[dict[str, Any]]:
    """The v2 metadata of the inputs (``n_features`` -1 while no model is loaded)."""
    return [
        {"name": INPUT_FEATURES, "datatype": "FP32", "shape": [-1, n_features]},
        {"name": INPUT_MATCH_ID, "datatype": "BYTES", "shape": [-1]},
    ]


def output_types() -> list[dict[str, Any]]:
    """The v2 metadata of the outputs."""
    return [
        {"name": OUTPUT_PROBABILITIES, "datatype": "FP32", "shape": [-1, len(PROBABILITY_COLUMNS)]},
        {"name": OUTPUT_MODEL_VERSION, "datatype": "BYTES", "shape": [-1]},
    ]


def model_metadata(name: str, champion: Champion | None, reason: str = "") -> dict[str, Any]:
    """v2 model metadata plus ``parameters`` (scalars, as in v2 requests) publishing the feature order."""
    if champion is None:
        return {
            "name": name,
            "versions": [],
            "platform": "",
            "inputs": input_types(-1),
            "outputs": output_types(),
            "parameters": {"ready": False, "reason": reason},
        }
    return {
        "name": name,
        "versions": [champion.version],
        "platform": f"mlflow_{champion.flavor}",
        "inputs": input_types(champion.n_features),
        "outputs": output_types(),
        "parameters": {
            "ready": True,
            "model_version": champion.version,
            "n_features": champion.n_features,
            "feature_names": ",".join(champion.feature_names),
            "probability_columns": ",".join(PROBABILITY_COLUMNS),
            "engine": champion.engine,
            **({"alias": champion.alias} if champion.alias else {}),
        },
    }
