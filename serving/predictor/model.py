"""The KServe predictor of ``soccer-1x2``: v2 inputs in, H/D/A probabilities and the model version out.

Inputs (exactly one per request):

- ``features`` FP32 ``[n, n_features]``, columns in the order published by the model metadata
  (``parameters.feature_names``), finite numbers only;
- ``match_id`` BYTES ``[n]``: features come from the latest match-features snapshot, and results
  are cached in Redis under ``predict:{match_id}:{model_version}``, unless the request parameter
  ``cache`` is ``"caller"``: then the client owns the cache for it (the facade) and the predictor neither
  reads nor writes it.

Outputs: ``probabilities`` FP32 ``[n, 3]`` (home, draw, away) and ``model_version`` BYTES ``[n]``.
Every malformed request is an ``InvalidInput`` (HTTP 400) whose message says what to send instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from kserve import InferOutput, InferRequest, InferResponse, Model
from kserve.errors import InferenceError, InvalidInput, ModelNotFound, ModelNotReady
from kserve.model_repository import ModelRepository

from serving.common.cache import CACHE_BY_CALLER, CACHE_BY_PREDICTOR, CACHE_PARAMETER, PredictionCache
from serving.predictor.champion import Champion, ChampionLoader, ChampionWatcher
from serving.predictor.error_handlers import UnknownMatchIds
from serving.predictor.features import FeatureSnapshot
from soccerpredict.artifacts import MODEL_NAME, PROBABILITY_COLUMNS
from soccerpredict.errors import ModelError, ServingError, UnknownMatchError

__all__ = [
    "ChampionRepository",
    "FeatureRows",
    "MatchIds",
    "NotReady",
    "SoccerPredictor",
    "build_response",
    "caller_caches",
    "input_types",
    "model_metadata",
    "output_types",
    "parse_request",
]

log = logging.getLogger(__name__)

INPUT_FEATURES: Final = "features"
INPUT_MATCH_ID: Final = "match_id"
OUTPUT_PROBABILITIES: Final = "probabilities"
OUTPUT_MODEL_VERSION: Final = "model_version"
#: Rows per request; larger batches belong to batch inference.
MAX_ROWS: Final = 10_000
#: Up to this many rows run inline on the event loop (well under a millisecond); more go to a thread.
INLINE_ROWS: Final = 64
#: A request that started on the old model may still be writing its cache entry after a swap.
_SWEEP_AGAIN_AFTER_SECONDS: Final = 2.0
_EXPECTED: Final = (
    f"send either {INPUT_FEATURES!r} (FP32 [n, n_features], columns in the order of the model metadata's "
    f"parameters.feature_names) or {INPUT_MATCH_ID!r} (BYTES [n])"
)


class NotReady(ModelNotReady):
    """kserve's ModelNotReady (HTTP 503) with the ``reason`` its gRPC interceptor reads for UNAVAILABLE.

    kserve 0.21's ModelNotReady has no ``reason``; its gRPC interceptor then fails on the attribute and the
    client gets UNKNOWN instead of UNAVAILABLE with the message.
    """

    @property
    def reason(self) -> str:
        return self.error_msg


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


class SoccerPredictor(Model):
    """Serves the current champion of ``soccer-1x2`` and follows its alias."""

    def __init__(
        self,
        loader: ChampionLoader,
        snapshot: FeatureSnapshot,
        cache: PredictionCache,
        metrics: Any,
        *,
        poll_seconds: float = 60.0,
        name: str = MODEL_NAME,
    ) -> None:
        super().__init__(name)
        self.watcher = ChampionWatcher(loader, metrics=metrics, on_swap=self._after_swap)
        self.snapshot = snapshot
        self.cache = cache
        self.poll_seconds = poll_seconds
        self._metrics = metrics
        self._background: asyncio.Task[None] | None = None
        self._stopped = False
        self._sweeps: set[asyncio.Task[None]] = set()

    # --- lifecycle -------------------------------------------------------------------------------

    def load(self) -> bool:
        """Never blocks: kserve may call this on the event loop; the watcher does the loading."""
        return self.ready

    def start(self) -> None:
        """Nothing to do: readiness comes from the watcher, not from registration."""

    def stop(self) -> None:
        """Stop serving and stop following the alias (kserve calls this on unload and on shutdown)."""
        self._stopped = True
        self.ready = False
        if self._background is not None:
            self._background.cancel()

    async def healthy(self) -> bool:
        """Ready once a champion is loaded."""
        return self.ready

    async def run_background(self) -> None:
        """Load the champion, then poll its alias until stopped (kserve's server awaits this beside uvicorn)."""
        self._background = asyncio.current_task()
        try:
            await self.watcher.watch(self.poll_seconds)
        except asyncio.CancelledError:
            # Cancelled by stop(): return normally so the server's gather() can finish and exit.
            log.info("stopped following the champion alias")

    async def reload(self) -> None:
        """Re-resolve the alias now (the repository load endpoint); raise when no champion can be served."""
        if self._stopped:  # loaded again after an unload: follow the alias again
            self._stopped = False
            self._background = asyncio.create_task(self.run_background())
        await self.watcher.refresh(raise_errors=True)
        self.ready = self.watcher.current is not None

    async def _after_swap(self, old: Champion | None, new: Champion) -> None:
        self.ready = not self._stopped
        if old is None or old.version == new.version:
            return
        await self.cache.delete_version(old.version)
        task = asyncio.create_task(self._sweep_later(old.version))
        self._sweeps.add(task)
        task.add_done_callback(self._sweeps.discard)

    async def _sweep_later(self, version: str) -> None:
        await asyncio.sleep(_SWEEP_AGAIN_AFTER_SECONDS)
        await self.cache.delete_version(version)

    # --- metadata --------------------------------------------------------------------------------

    def get_input_types(self) -> list[dict[str, Any]]:
        champion = self.watcher.current
        return input_types(champion.n_features if champion else -1)

    def get_output_types(self) -> list[dict[str, Any]]:
        return output_types()

    async def metadata(self) -> dict[str, Any]:
        """The model metadata response (served on ``GET /v2/models/soccer-1x2``)."""
        return model_metadata(self.name, self.watcher.current, self.watcher.reason)

    # --- inference -------------------------------------------------------------------------------

    async def predict(
        self, payload: Any, headers: dict[str, str] | None = None, response_headers: dict[str, str] | None = None
    ) -> InferResponse:
        """Probabilities for the request's rows, from the champion held when the request arrived."""
        champion = self.watcher.current  # one read: a swap during this request does not affect it
        if champion is None:
            raise NotReady(self.name, self.watcher.reason)
        parsed = parse_request(payload, champion.feature_names)
        start = time.perf_counter()
        try:
            if isinstance(parsed, FeatureRows):
                proba, source = await self._infer(champion, parsed.values), "model"
            else:
                proba, source = await self._predict_matches(champion, parsed.ids, cached=not caller_caches(payload))
        except UnknownMatchError as exc:
            raise UnknownMatchIds(str(exc), exc.match_ids) from exc
        except (ServingError, ModelError) as exc:
            raise InferenceError(str(exc)) from exc
        self._metrics["prediction_duration_seconds"].labels(source=source).observe(time.perf_counter() - start)
        return build_response(payload, proba, champion.version, self.name)

    async def _predict_matches(
        self, champion: Champion, ids: tuple[str, ...], *, cached: bool
    ) -> tuple[np.ndarray, str]:
        found = await self.cache.get_many(ids, champion.version) if cached else [None] * len(ids)
        todo = list(dict.fromkeys(m for m, row in zip(ids, found, strict=True) if row is None))
        fresh: dict[str, np.ndarray] = {}
        if todo:
            proba = await self._infer(champion, await self.snapshot.features(todo, champion.feature_names))
            fresh = dict(zip(todo, proba, strict=True))
            if cached and self.watcher.current is champion:  # never write entries for a version just swapped out
                await self.cache.set_many(fresh, champion.version)
        hits = len(ids) - sum(row is None for row in found)
        if hits:
            self._metrics["predictions_total"].labels(source="cache").inc(hits)
        pairs = zip(ids, found, strict=True)
        rows = [fresh[m] if row is None else np.asarray(row, dtype=np.float32) for m, row in pairs]
        return np.vstack(rows), "model" if todo else "cache"

    async def _infer(self, champion: Champion, features: np.ndarray) -> np.ndarray:
        try:
            if len(features) <= INLINE_ROWS:
                proba = champion.predict_proba(features)
            else:
                proba = await asyncio.to_thread(champion.predict_proba, features)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"model version {champion.version} failed on {len(features)} row(s): {exc}") from exc
        self._metrics["predictions_total"].labels(source="model").inc(len(features))
        return proba


class ChampionRepository(ModelRepository):
    """kserve's model repository holding the one predictor; ``load`` re-resolves the champion alias.

    ``POST /v2/repository/models/soccer-1x2/load`` lands here (kserve awaits an async ``load``).
    """

    def __init__(self, predictor: SoccerPredictor) -> None:
        super().__init__()
        self.predictor = predictor
        self.update(predictor)

    async def load(self, name: str) -> bool:
        """Swap to the version the alias points at now; raise (HTTP 503 with the reason) when none."""
        if name != self.predictor.name:
            raise ModelNotFound(name)
        if self.get_model(name) is None:  # it was unloaded: serve it again
            self.update(self.predictor)
        await self.predictor.reload()
        return self.predictor.ready
