"""The predictor's v2 contract as stock ``tritonclient`` clients see it: checks to run against any predictor.

Each check talks to a running predictor only through its URL, so the same functions test the in-process server
(tests/contract/test_predictor_v2.py) and the predictor container started from the InferenceService's command,
env and probes. A failed check raises ``AssertionError`` saying what was expected; a passing one returns what
the server answered, so a caller can compare it with the model it registered.

- :func:`check_http_json` — ``tritonclient.http`` in JSON mode with no extra headers (the client sends no
  Content-Type), and a plain POST of a JSON body without Content-Type;
- :func:`check_http_binary` — ``tritonclient.http`` with binary inputs and outputs;
- :func:`check_grpc` — ``tritonclient.grpc``: server live/ready and metadata, model ready and metadata, infer;
- :func:`check_stock_clients` — all three, and that they agree with each other.

``http_url`` is ``http://host:port`` (or ``host:port``); ``grpc_url`` is ``host:port`` (or ``grpc://host:port``).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import uuid
from dataclasses import dataclass
from typing import Any, Final

import httpx
import numpy as np

__all__ = [
    "MODEL",
    "Answer",
    "check_grpc",
    "check_http_binary",
    "check_http_json",
    "check_stock_clients",
    "grpc_unready",
    "sample_rows",
]

MODEL: Final = "soccer-1x2"
OUTPUTS: Final = ("probabilities", "model_version")
TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class Answer:
    """What one protocol answered: probabilities for the feature rows and for the match, and the model version."""

    features: np.ndarray
    match: np.ndarray
    model_version: str


def sample_rows(n_features: int, n: int = 3) -> np.ndarray:
    """``n`` distinct finite FP32 rows of ``n_features`` columns."""
    return np.linspace(-1.5, 1.5, n * n_features, dtype=np.float32).reshape(n, n_features)


def check_http_json(http_url: str, *, n_features: int, match_id: str, rows: np.ndarray | None = None) -> Answer:
    """tritonclient.http in JSON mode, no headers passed; and a raw JSON POST without Content-Type."""
    import tritonclient.http as triton

    client = triton.InferenceServerClient(url=_host_port(http_url), network_timeout=TIMEOUT)
    try:
        version = _check_http_metadata(client, n_features)
        rows = sample_rows(n_features) if rows is None else rows
        by_features, by_match = _http_infer_both(client, rows, match_id, binary=False)
    finally:
        client.close()
    for result in (by_features, by_match):
        for output in result.get_response()["outputs"]:
            assert "data" in output, f"JSON mode must answer JSON data, got {output}"
    answer = _answer(by_features, by_match, len(rows), version, "HTTP JSON")
    _check_plain_post(http_url, rows, answer)
    return answer


def check_http_binary(http_url: str, *, n_features: int, match_id: str, rows: np.ndarray | None = None) -> Answer:
    """tritonclient.http with binary tensors both ways (its default)."""
    import tritonclient.http as triton
    from tritonclient.utils import InferenceServerException

    client = triton.InferenceServerClient(url=_host_port(http_url), network_timeout=TIMEOUT)
    try:
        version = _check_http_metadata(client, n_features)
        rows = sample_rows(n_features) if rows is None else rows
        by_features, by_match = _http_infer_both(client, rows, match_id, binary=True)
        for result in (by_features, by_match):
            for output in result.get_response()["outputs"]:
                assert "binary_data_size" in output.get("parameters", {}), f"not a binary output: {output}"

        bad = triton.InferInput("features", [1, n_features], "FP32")
        bad.set_data_from_numpy(np.full((1, n_features), math.inf, dtype=np.float32), binary_data=True)
        try:
            client.infer(MODEL, [bad])
        except InferenceServerException as exc:
            assert exc.status() == "400", f"infinite features must be a 400, got {exc.status()}: {exc}"
            assert "NaN or infinite values" in str(exc.message()), exc.message()
        else:
            raise AssertionError("infinite features were accepted over binary HTTP")
    finally:
        client.close()
    return _answer(by_features, by_match, len(rows), version, "HTTP binary")


def check_grpc(grpc_url: str, *, n_features: int, match_id: str, rows: np.ndarray | None = None) -> Answer:
    """tritonclient.grpc: health, server and model metadata, model readiness, both inputs, a refused request.

    Runs in a child process (:func:`_in_child`): tritonclient's protos and kserve's define the same ``inference.*``
    messages, and a process's protobuf descriptor pool refuses the second set, so a test session that imported
    kserve (the in-process predictor tests) cannot import ``tritonclient.grpc``. A separate client process is
    also what a real client is.
    """
    rows = sample_rows(n_features) if rows is None else rows
    got = _in_child(
        "check", grpc_url=grpc_url, n_features=n_features, match_id=match_id, rows=rows.astype(np.float32).tolist()
    )
    return Answer(
        np.asarray(got["features"], dtype=np.float32), np.asarray(got["match"], dtype=np.float32), got["version"]
    )


def grpc_unready(grpc_url: str, match_id: str) -> dict[str, Any]:
    """What tritonclient.grpc sees before a champion exists: live, model ready, and how an infer is refused."""
    return _in_child("unready", grpc_url=grpc_url, match_id=match_id)


def _in_child(mode: str, **kwargs: Any) -> dict[str, Any]:
    """Run :func:`_child_main` with ``mode`` in a fresh Python process; its AssertionError becomes ours."""
    done = subprocess.run(
        [sys.executable, __file__, mode, json.dumps(kwargs)], capture_output=True, text=True, timeout=4 * TIMEOUT
    )
    if done.returncode != 0:
        raise AssertionError(f"gRPC client process ({mode}) failed:\n{done.stderr.strip()[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _grpc_check(grpc_url: str, *, n_features: int, match_id: str, rows: np.ndarray) -> Answer:
    import grpc
    import tritonclient.grpc as triton
    from tritonclient.utils import InferenceServerException

    client = triton.InferenceServerClient(url=grpc_url.removeprefix("grpc://"))
    try:
        assert client.is_server_live(client_timeout=TIMEOUT), "gRPC ServerLive is false"
        assert client.is_server_ready(client_timeout=TIMEOUT), "gRPC ServerReady is false"
        assert client.is_model_ready(MODEL, client_timeout=TIMEOUT), f"gRPC ModelReady({MODEL}) is false"
        assert client.get_server_metadata(as_json=True, client_timeout=TIMEOUT)["name"], "no server name"
        meta = client.get_model_metadata(MODEL, as_json=True, client_timeout=TIMEOUT)
        assert meta["name"] == MODEL, meta
        _check_tensors(meta, n_features, "gRPC")

        features = triton.InferInput("features", list(rows.shape), "FP32")
        features.set_data_from_numpy(rows)
        ids = triton.InferInput("match_id", [1], "BYTES")
        ids.set_data_from_numpy(np.array([match_id.encode()], dtype=np.object_))
        wanted = [triton.InferRequestedOutput(name) for name in OUTPUTS]
        by_features = client.infer(MODEL, [features], outputs=wanted, client_timeout=TIMEOUT)
        by_match = client.infer(MODEL, [ids], outputs=wanted, client_timeout=TIMEOUT)
        version = by_features.get_response().model_version
        assert version, "the gRPC response names no model_version"

        unknown = triton.InferInput("match_id", [1], "BYTES")
        unknown.set_data_from_numpy(np.array([f"no-such-match-{uuid.uuid4().hex}".encode()], dtype=np.object_))
        try:
            client.infer(MODEL, [unknown], client_timeout=TIMEOUT)
        except InferenceServerException as exc:
            assert exc.status() == str(grpc.StatusCode.INVALID_ARGUMENT), f"unknown match: {exc.status()}: {exc}"
            assert "unknown match id(s)" in str(exc.message()), exc.message()
        else:
            raise AssertionError("an unknown match id was accepted over gRPC")
    finally:
        client.close()
    return _answer(by_features, by_match, len(rows), version, "gRPC")


def check_stock_clients(
    http_url: str, grpc_url: str, *, n_features: int, match_id: str, rows: np.ndarray | None = None
) -> dict[str, Answer]:
    """All three checks; the three protocols must give the same answers to the same requests."""
    rows = sample_rows(n_features) if rows is None else rows
    answers = {
        "http-json": check_http_json(http_url, n_features=n_features, match_id=match_id, rows=rows),
        "http-binary": check_http_binary(http_url, n_features=n_features, match_id=match_id, rows=rows),
        "grpc": check_grpc(grpc_url, n_features=n_features, match_id=match_id, rows=rows),
    }
    first = answers["http-json"]
    for name, answer in answers.items():
        assert answer.model_version == first.model_version, f"{name} served {answer.model_version}"
        np.testing.assert_allclose(answer.features, first.features, atol=1e-6, err_msg=f"{name} features")
        np.testing.assert_allclose(answer.match, first.match, atol=1e-6, err_msg=f"{name} match_id")
    return answers


# --- helpers -------------------------------------------------------------------------------------------------


def _host_port(http_url: str) -> str:
    return http_url.removeprefix("http://").rstrip("/")


def _check_http_metadata(client: Any, n_features: int) -> str:
    """Health, readiness and model metadata over HTTP; returns the served model version."""
    assert client.is_server_live(), "HTTP server is not live"
    assert client.is_server_ready(), "HTTP server is not ready"
    assert client.is_model_ready(MODEL), f"HTTP: {MODEL} is not ready"
    meta = client.get_model_metadata(MODEL)
    assert meta["name"] == MODEL, meta
    _check_tensors(meta, n_features, "HTTP")
    parameters = meta["parameters"]
    assert len(parameters["feature_names"].split(",")) == n_features, parameters
    assert meta["versions"] == [parameters["model_version"]], meta
    return str(parameters["model_version"])


def _check_tensors(meta: dict[str, Any], n_features: int, protocol: str) -> None:
    """The declared inputs and outputs of the contract (gRPC's JSON spells shapes as strings)."""

    def tensors(key: str) -> list[tuple[str, str, list[int]]]:
        return [(t["name"], t["datatype"], [int(d) for d in t["shape"]]) for t in meta[key]]

    assert tensors("inputs") == [("features", "FP32", [-1, n_features]), ("match_id", "BYTES", [-1])], (
        f"{protocol} metadata inputs: {meta['inputs']}"
    )
    assert tensors("outputs") == [("probabilities", "FP32", [-1, 3]), ("model_version", "BYTES", [-1])], (
        f"{protocol} metadata outputs: {meta['outputs']}"
    )


def _http_infer_both(client: Any, rows: np.ndarray, match_id: str, *, binary: bool) -> tuple[Any, Any]:
    """tritonclient.http's answers to the ``features`` rows and to the ``match_id``, JSON or binary both ways."""
    import tritonclient.http as triton

    features = triton.InferInput("features", list(rows.shape), "FP32")
    features.set_data_from_numpy(rows, binary_data=binary)
    ids = triton.InferInput("match_id", [1], "BYTES")
    ids.set_data_from_numpy(np.array([match_id.encode()], dtype=np.object_), binary_data=binary)
    return _http_infer(client, features, binary=binary), _http_infer(client, ids, binary=binary)


def _http_infer(client: Any, tensor: Any, *, binary: bool) -> Any:
    import tritonclient.http as triton

    wanted = [triton.InferRequestedOutput(name, binary_data=binary) for name in OUTPUTS]
    return client.infer(MODEL, [tensor], outputs=wanted)  # no headers: what a stock client sends


def _answer(by_features: Any, by_match: Any, n_rows: int, version: str, protocol: str) -> Answer:
    """Check both results' shapes, probabilities and versions; keep the probabilities."""
    for result, n in ((by_features, n_rows), (by_match, 1)):
        proba = result.as_numpy("probabilities")
        assert proba is not None and proba.dtype == np.float32, f"{protocol}: probabilities {proba!r}"
        assert proba.shape == (n, 3), f"{protocol}: probabilities shape {proba.shape}, expected ({n}, 3)"
        assert np.all((proba >= 0) & (proba <= 1)), f"{protocol}: probabilities outside [0, 1]: {proba}"
        np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5, err_msg=f"{protocol}: rows must sum to 1")
        versions = [v.decode() if isinstance(v, bytes) else str(v) for v in result.as_numpy("model_version")]
        assert versions == [version] * n, f"{protocol}: model_version {versions}, expected {version}"
    return Answer(by_features.as_numpy("probabilities"), by_match.as_numpy("probabilities"), version)


def _check_plain_post(http_url: str, rows: np.ndarray, expected: Answer) -> None:
    """A JSON body with no Content-Type at all (what curl -d or a bare HTTP client may send)."""
    body = {
        "inputs": [{"name": "features", "shape": list(rows.shape), "datatype": "FP32", "data": rows.ravel().tolist()}]
    }
    base = http_url if "://" in http_url else f"http://{http_url}"
    request = httpx.Request("POST", f"{base.rstrip('/')}/v2/models/{MODEL}/infer", content=json.dumps(body))
    assert "content-type" not in request.headers, request.headers
    with httpx.Client(timeout=TIMEOUT) as http:
        response = http.send(request)
    assert response.status_code == 200, f"JSON without Content-Type: {response.status_code} {response.text}"
    outputs = {o["name"]: o for o in response.json()["outputs"]}
    got = np.reshape(outputs["probabilities"]["data"], (len(rows), 3))
    np.testing.assert_allclose(got, expected.features, atol=1e-6, err_msg="plain JSON POST")
    assert outputs["model_version"]["data"] == [expected.model_version] * len(rows), outputs["model_version"]


def _grpc_unready(grpc_url: str, match_id: str) -> dict[str, Any]:
    import tritonclient.grpc as triton
    from tritonclient.utils import InferenceServerException

    client = triton.InferenceServerClient(url=grpc_url.removeprefix("grpc://"))
    try:
        ids = triton.InferInput("match_id", [1], "BYTES")
        ids.set_data_from_numpy(np.array([match_id.encode()], dtype=np.object_))
        try:
            client.infer(MODEL, [ids], client_timeout=TIMEOUT)
            refused = ["", ""]
        except InferenceServerException as exc:
            refused = [str(exc.status()), str(exc.message())]
        return {
            "grpc_live": client.is_server_live(client_timeout=TIMEOUT),
            "grpc_model_ready": client.is_model_ready(MODEL, client_timeout=TIMEOUT),
            "grpc_infer": refused,
        }
    finally:
        client.close()


def _child_main(mode: str, raw: str) -> int:
    """The child process of :func:`_in_child`: one JSON line on stdout, or the AssertionError on stderr."""
    kwargs = json.loads(raw)
    try:
        if mode == "check":
            rows = np.asarray(kwargs.pop("rows"), dtype=np.float32)
            answer = _grpc_check(**kwargs, rows=rows)
            out: dict[str, Any] = {
                "features": answer.features.tolist(),
                "match": answer.match.tolist(),
                "version": answer.model_version,
            }
        else:
            out = _grpc_unready(**kwargs)
    except AssertionError as exc:
        print(f"AssertionError: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child_main(sys.argv[1], sys.argv[2]))
