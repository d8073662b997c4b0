"""Validation of v2 requests and the shape of v2 responses and metadata (no server)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from kserve import InferInput, InferRequest
from kserve.errors import InvalidInput
from kserve.protocol.infer_type import RequestedOutput

from serving.predictor.champion import Champion
from serving.predictor.protocol import (
    MAX_ROWS,
    FeatureRows,
    MatchIds,
    build_response,
    model_metadata,
    parse_request,
)

FEATURES = ("elo_diff", "form_home", "form_away", "rest_diff")


def request(*inputs: tuple[str, list[int], str, list[Any]]) -> InferRequest:
    return InferRequest(
        model_name="soccer-1x2",
        infer_inputs=[InferInput(name=n, shape=s, datatype=d, data=data) for n, s, d, data in inputs],
        request_id="r1",
    )


def test_features_are_parsed_as_float32_rows() -> None:
    parsed = parse_request(request(("features", [2, 4], "FP32", [1, 2, 3, 4, 5, 6, 7, 8])), FEATURES)
    assert isinstance(parsed, FeatureRows)
    assert parsed.values.dtype == np.float32
    np.testing.assert_array_equal(parsed.values, [[1, 2, 3, 4], [5, 6, 7, 8]])


def test_nested_json_data_is_accepted() -> None:
    parsed = parse_request(request(("features", [1, 4], "FP32", [[0.5, 1, 2, 3]])), FEATURES)
    assert isinstance(parsed, FeatureRows)
    assert parsed.values.shape == (1, 4)


@pytest.mark.parametrize("raw", [["E0-20240810-arsenal-wolves", "SP1-x"], [b"E0-20240810-arsenal-wolves", b"SP1-x"]])
def test_match_ids_are_parsed_as_strings(raw: list[Any]) -> None:
    parsed = parse_request(request(("match_id", [2], "BYTES", raw)), FEATURES)
    assert parsed == MatchIds(("E0-20240810-arsenal-wolves", "SP1-x"))


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ((), "the request has no inputs"),
        (
            (("features", [1, 4], "FP32", [0, 0, 0, 0]), ("match_id", [1], "BYTES", ["a"])),
            "inputs ['features', 'match_id']",
        ),
        ((("x", [1, 4], "FP32", [0, 0, 0, 0]),), "unknown input 'x'"),
        ((("features", [1, 4], "FP64", [0, 0, 0, 0]),), "must have datatype FP32, got FP64"),
        ((("features", [1, 3], "FP32", [0, 0, 0]),), "must have shape [n, 4] (one column per feature: elo_diff,"),
        ((("features", [4], "FP32", [0, 0, 0, 0]),), "must have shape [n, 4]"),
        ((("features", [0, 4], "FP32", []),), "between 1 and"),
        ((("features", [-1, 4], "FP32", [0, 0, 0, 0]),), "between 1 and"),
        ((("features", [MAX_ROWS + 1, 4], "FP32", []),), "between 1 and"),
        ((("features", [2, 4], "FP32", [0, 0, 0, 0]),), "data is not [2, 4] FP32 numbers"),
        ((("features", [1, 4], "FP32", ["a", "b", "c", "d"]),), "data is not [1, 4] FP32 numbers"),
        ((("features", [1, 4], "FP32", [None, 0, 0, 0]),), "NaN or infinite values"),  # JSON null
        (
            (("features", [1, 4], "FP32", [math.nan, 0, 0, 0]),),
            "NaN or infinite values in row(s) [0], column(s) ['elo_diff']",
        ),
        ((("features", [2, 4], "FP32", [0, 0, 0, 0, 0, 0, math.inf, 0]),), "row(s) [1], column(s) ['form_away']"),
        ((("match_id", [1], "FP32", [1.0]),), "must have datatype BYTES, got FP32"),
        ((("match_id", [1, 1], "BYTES", ["a"]),), "must have shape [n], got [1, 1]"),
        ((("match_id", [1], "BYTES", [""]),), "non-empty strings"),
        ((("match_id", [1], "BYTES", [7]),), "non-empty strings"),
        ((("match_id", [2], "BYTES", ["a"]),), "does not fit shape [2]"),
        ((("match_id", [1], "BYTES", [b"\xff\xfe"]),), "not UTF-8"),
    ],
)
def test_bad_requests_say_what_is_wrong(inputs: tuple[Any, ...], message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_request(request(*inputs), FEATURES)
    assert message in str(caught.value)


def test_a_v1_payload_is_refused_with_the_v2_route() -> None:
    with pytest.raises(InvalidInput, match="v2 protocol"):
        parse_request({"instances": [[0, 0, 0, 0]]}, FEATURES)


def test_response_carries_probabilities_and_the_version_per_row() -> None:
    proba = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7]], dtype=np.float32)
    body, json_length = build_response(
        request(("features", [2, 4], "FP32", [0] * 8)), proba, "7", "soccer-1x2"
    ).to_rest()
    assert json_length is None
    assert isinstance(body, dict)
    outputs = {o["name"]: o for o in body["outputs"]}
    assert outputs["probabilities"]["shape"] == [2, 3]
    assert outputs["probabilities"]["datatype"] == "FP32"
    np.testing.assert_allclose(outputs["probabilities"]["data"], proba.ravel())
    assert outputs["model_version"] == {"name": "model_version", "shape": [2], "datatype": "BYTES", "data": ["7", "7"]}
    assert body["model_version"] == "7"
    assert body["id"] == "r1"


def test_response_is_binary_when_the_client_asks() -> None:
    req = request(("features", [1, 4], "FP32", [0] * 4))
    req.request_outputs = [RequestedOutput("probabilities", {"binary_data": True})]
    body, json_length = build_response(req, np.full((1, 3), 1 / 3, dtype=np.float32), "2", "soccer-1x2").to_rest()
    assert isinstance(body, bytes)
    assert json_length is not None
    assert np.frombuffer(body[json_length:], dtype=np.float32).shape == (3,)


def test_response_gets_an_id_when_the_request_has_none() -> None:
    req = request(("features", [1, 4], "FP32", [0] * 4))
    req.id = None
    body, _ = build_response(req, np.full((1, 3), 1 / 3, dtype=np.float32), "2", "soccer-1x2").to_rest()
    assert isinstance(body, dict)
    assert body["id"]


OUTPUTS = [
    {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
    {"name": "model_version", "datatype": "BYTES", "shape": [-1]},
]


def test_metadata_publishes_the_feature_order_and_version() -> None:
    """The whole document, key by key: a renamed or dropped key is a broken client (found by `make mutate`)."""
    meta = model_metadata("soccer-1x2", Champion("3", FEATURES, estimator=None, engine="treelite-gtil"))
    assert meta == {
        "name": "soccer-1x2",
        "versions": ["3"],
        "platform": "mlflow_sklearn",
        "inputs": [
            {"name": "features", "datatype": "FP32", "shape": [-1, 4]},
            {"name": "match_id", "datatype": "BYTES", "shape": [-1]},
        ],
        "outputs": OUTPUTS,
        "parameters": {
            "ready": True,
            "model_version": "3",
            "n_features": 4,
            "feature_names": ",".join(FEATURES),
            "probability_columns": "p_home,p_draw,p_away",
            "engine": "treelite-gtil",
        },  # no "alias": loaded by no alias, the predictor does not claim one
    }


def test_metadata_publishes_the_alias_the_champion_was_loaded_under() -> None:
    meta = model_metadata("soccer-1x2", Champion("3", FEATURES, estimator=None, alias="candidate"))
    assert meta["parameters"]["alias"] == "candidate"


def test_metadata_without_a_champion_says_why() -> None:
    meta = model_metadata("soccer-1x2", None, "no model version has the alias yet")
    assert meta == {
        "name": "soccer-1x2",
        "versions": [],
        "platform": "",
        "inputs": [  # the feature count is not known without a model
            {"name": "features", "datatype": "FP32", "shape": [-1, -1]},
            {"name": "match_id", "datatype": "BYTES", "shape": [-1]},
        ],
        "outputs": OUTPUTS,
        "parameters": {"ready": False, "reason": "no model version has the alias yet"},
    }
