"""Talk to the KServe v2 predictor over HTTP: an async client for the facade, a sync one for workers.

Both share the request/response mapping; every failure becomes a :class:`~soccerpredict.errors.ServingError`:

    connection refused, reset, bad gateway ...  -> PredictorUnavailableError  (facade: 503)
    no answer within the timeout                -> PredictorTimeoutError      (facade: 504)
    400 from the predictor (unknown match ids)  -> UnknownMatchError          (facade: 404)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import httpx

from soccerpredict.artifacts import ALIAS_CHAMPION, MODEL_NAME
from soccerpredict.errors import PredictorUnavailableError, ServingError, UnknownMatchError

__all__ = [
    "InferResult",
    "ModelMetadata",
    "Predictor",
    "PredictorClient",
    "PredictorTimeoutError",
    "SyncPredictorClient",
    "features_request",
    "match_id_request",
    "parse_infer_response",
    "parse_metadata",
]

log = logging.getLogger(__name__)

Probabilities = tuple[float, float, float]
_UNKNOWN_VERSION: Final = "unknown"


class PredictorTimeoutError(PredictorUnavailableError):
    """The predictor did not answer within ``predictor_timeout`` seconds."""


@dataclass(frozen=True, slots=True)
class InferResult:
    """Probabilities (home, draw, away) per requested row, and the model version that produced them."""

    model_version: str
    probabilities: tuple[Probabilities, ...]


@dataclass(frozen=True, slots=True)
class ModelMetadata:
    """What the predictor says about the model it serves (``GET /v2/models/{name}``)."""

    name: str
    versions: tuple[str, ...] = ()
    platform: str | None = None
    alias: str | None = ALIAS_CHAMPION
    inputs: tuple[dict[str, Any], ...] = field(default=())
    outputs: tuple[dict[str, Any], ...] = field(default=())

    @property
    def version(self) -> str | None:
        """The version being served, if the predictor names one."""
        return self.versions[-1] if self.versions else None


class Predictor(Protocol):
    """What the facade needs from a predictor; :class:`PredictorClient` is the real one."""

    model_version: str | None

    async def infer(self, match_ids: Sequence[str]) -> InferResult: ...

    async def metadata(self) -> ModelMetadata: ...

    async def ready(self) -> str: ...

    async def aclose(self) -> None: ...


def match_id_request(match_ids: Sequence[str]) -> dict[str, Any]:
    """v2 request body for a lookup by match id."""
    ids = [str(m) for m in match_ids]
    return {"inputs": [{"name": "match_id", "datatype": "BYTES", "shape": [len(ids)], "data": ids}]}


def features_request(rows: Sequence[Sequence[float]]) -> dict[str, Any]:
    """v2 request body for raw feature rows (order as published in the model metadata)."""
    width = len(rows[0]) if rows else 0
    flat = [float(x) for row in rows for x in row]
    return {"inputs": [{"name": "features", "datatype": "FP32", "shape": [len(rows), width], "data": flat}]}


def _flatten(data: Any) -> list[Any]:
    # v2 JSON allows row-major flat data or nested lists; accept both.
    if isinstance(data, list) and data and isinstance(data[0], list):
        return [x for row in data for x in _flatten(row)]
    return list(data or [])


def parse_infer_response(payload: dict[str, Any], n_rows: int) -> InferResult:
    """Read ``probabilities`` [n, 3] and ``model_version`` out of a v2 response body."""
    outputs = {o.get("name"): o for o in payload.get("outputs") or []}
    if "probabilities" not in outputs:
        raise PredictorUnavailableError("the predictor answered without a 'probabilities' output")
    flat = [float(x) for x in _flatten(outputs["probabilities"].get("data"))]
    if len(flat) != 3 * n_rows:
        raise PredictorUnavailableError(f"the predictor returned {len(flat)} probabilities for {n_rows} rows")
    rows = tuple((flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3))
    version_data = _flatten((outputs.get("model_version") or {}).get("data"))
    version = version_data[0] if version_data else payload.get("model_version")
    return InferResult(model_version=str(version or _UNKNOWN_VERSION), probabilities=rows)


def parse_metadata(payload: dict[str, Any]) -> ModelMetadata:
    """Read a v2 model metadata body; the alias comes from ``parameters.alias`` when the predictor sets it."""
    parameters = payload.get("parameters") or {}
    return ModelMetadata(
        name=str(payload.get("name") or MODEL_NAME),
        versions=tuple(str(v) for v in payload.get("versions") or ()),
        platform=payload.get("platform"),
        alias=str(parameters.get("alias") or ALIAS_CHAMPION),
        inputs=tuple(payload.get("inputs") or ()),
        outputs=tuple(payload.get("outputs") or ()),
    )


def _error_text(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error") or body.get("detail") or body) if isinstance(body, dict) else str(body)


def _status_error(response: httpx.Response) -> ServingError:
    if response.status_code == httpx.codes.BAD_REQUEST:
        return UnknownMatchError(f"the predictor has no features for this request: {_error_text(response)}")
    if response.status_code == httpx.codes.NOT_FOUND:
        return PredictorUnavailableError(f"the predictor does not serve model {MODEL_NAME!r} (HTTP 404)")
    return PredictorUnavailableError(f"the predictor failed with HTTP {response.status_code}: {_error_text(response)}")


def _transport_error(exc: httpx.HTTPError, timeout: float) -> PredictorUnavailableError:
    if isinstance(exc, httpx.TimeoutException):
        return PredictorTimeoutError(f"the predictor did not answer within {timeout:g} s")
    return PredictorUnavailableError(f"the predictor is unreachable ({type(exc).__name__}); is it running?")


def _error_reason(exc: PredictorUnavailableError) -> str:
    return "timeout" if isinstance(exc, PredictorTimeoutError) else "unreachable"


class PredictorClient:
    """Async v2 client used by the facade; remembers the last model version it saw."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        model_name: str = MODEL_NAME,
        metrics: Any = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.model_name = model_name
        self.model_version: str | None = None
        self._metrics = metrics
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, limits=limits, transport=transport)

    async def infer(self, match_ids: Sequence[str]) -> InferResult:
        """Probabilities for match ids, in order."""
        response = await self._call("POST", f"/v2/models/{self.model_name}/infer", json=match_id_request(match_ids))
        try:
            result = parse_infer_response(response.json(), len(match_ids))
        except (ValueError, PredictorUnavailableError) as exc:
            self._count_error("bad_response")
            raise PredictorUnavailableError(f"unreadable predictor response: {exc}") from exc
        self._learn_version(result.model_version)
        return result

    async def metadata(self) -> ModelMetadata:
        """The predictor's model metadata; also refreshes the known model version."""
        response = await self._call("GET", f"/v2/models/{self.model_name}")
        meta = parse_metadata(response.json())
        if meta.version:
            self._learn_version(meta.version)
        return meta

    async def ready(self) -> str:
        """'ok' when the model answers ready, else why not (never raises)."""
        try:
            response = await self._http.get(f"/v2/models/{self.model_name}/ready")
        except httpx.HTTPError as exc:
            return "timed out" if isinstance(exc, httpx.TimeoutException) else "unreachable"
        return "ok" if response.status_code == httpx.codes.OK else f"not ready (HTTP {response.status_code})"

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            error = _transport_error(exc, self.timeout)
            log.warning("predictor call %s %s%s failed: %s", method, self.base_url, path, exc)
            self._count_error(_error_reason(error))
            raise error from exc
        if response.is_success:
            return response
        status_error = _status_error(response)
        if not isinstance(status_error, UnknownMatchError):
            self._count_error("http_error")
        raise status_error

    def _count_error(self, reason: str) -> None:
        if self._metrics is not None:
            self._metrics["predictor_errors_total"].labels(reason=reason).inc()

    def _learn_version(self, version: str) -> None:
        if version == self.model_version or version == _UNKNOWN_VERSION:
            return
        if self._metrics is not None:
            info = self._metrics["model_info"]
            if self.model_version is not None:
                # Drop the old series so dashboards show one served version.
                info.remove("api", self.model_name, self.model_version)
            info.labels(service="api", model=self.model_name, version=version).set(1)
        log.info("predictor serves %s version %s (was %s)", self.model_name, version, self.model_version)
        self.model_version = version


class SyncPredictorClient:
    """Blocking v2 client for Celery workers (one per task run; workers are not async)."""

    def __init__(self, base_url: str, *, timeout: float, model_name: str = MODEL_NAME) -> None:
        self.timeout = timeout
        self.model_name = model_name
        self.last_version: str | None = None
        self._http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)

    def __enter__(self) -> SyncPredictorClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._http.close()

    def infer(self, match_ids: Sequence[str]) -> InferResult:
        """Probabilities for match ids, in order."""
        return self._infer(match_id_request(match_ids), len(match_ids))

    def infer_features(self, rows: Sequence[Sequence[float]]) -> InferResult:
        """Probabilities for raw feature rows, in order."""
        return self._infer(features_request(rows), len(rows))

    def _infer(self, body: dict[str, Any], n_rows: int) -> InferResult:
        try:
            response = self._http.post(f"/v2/models/{self.model_name}/infer", json=body)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, self.timeout) from exc
        if not response.is_success:
            raise _status_error(response)
        try:
            result = parse_infer_response(response.json(), n_rows)
        except ValueError as exc:
            raise PredictorUnavailableError(f"unreadable predictor response: {exc}") from exc
        self.last_version = result.model_version
        return result
