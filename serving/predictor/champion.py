"""The served model: resolve ``models:/soccer-1x2@champion``, load that version, swap it in atomically.

:class:`MlflowChampionLoader` does the blocking MLflow calls (run in a worker thread);
:class:`ChampionWatcher` owns the one reference requests read. A swap builds and warms the new
model completely, then replaces that reference: a request that already holds the old
:class:`Champion` finishes on it, the next one gets the new one, and none waits or fails.

The feature order is the model's signature: the training pipeline logs the model with
``infer_signature(X_df, proba)`` where the column order of ``X_df`` is the order the model expects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np

from serving.predictor.engine import ENGINE_NATIVE, accelerate, check_rows
from soccerpredict.artifacts import ALIAS_CHAMPION, EVALUATION_ARTIFACT, MODEL_NAME, PROBABILITY_COLUMNS
from soccerpredict.errors import ModelError, RegistryError, SoccerPredictError
from soccerpredict.models.report import EvaluationReport
from soccerpredict.monitoring.metrics import record_evaluation

__all__ = ["Champion", "ChampionLoader", "ChampionWatcher", "MlflowChampionLoader"]

log = logging.getLogger(__name__)

#: The ``service`` label of ``soccerpredict_model_info``.
INFO_SERVICE: Final = "predictor"
_N_CLASSES: Final = len(PROBABILITY_COLUMNS)


@dataclass(frozen=True, slots=True)
class Champion:
    """One loaded model version, ready to predict."""

    version: str
    feature_names: tuple[str, ...]
    estimator: Any
    flavor: str = "sklearn"
    #: The evaluate stage's report of this version's run (RPS and ECE per forecaster), when it was logged.
    evaluation: EvaluationReport | None = None
    #: When this version got the alias it is served under (Unix time), when known.
    promoted_at: float | None = None
    #: What computes the probabilities (:mod:`serving.predictor.engine`): "treelite-gtil" or "native".
    engine: str = ENGINE_NATIVE
    #: The registry alias this version was loaded under ("champion" in service), when a loader followed one.
    alias: str | None = None

    @property
    def n_features(self) -> int:
        """How many feature columns the model takes."""
        return len(self.feature_names)

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Probabilities [n, 3] (home, draw, away) as float32 for float32 features [n, n_features]."""
        proba = np.asarray(self.estimator.predict_proba(features), dtype=np.float32)
        if proba.ndim != 2 or proba.shape != (features.shape[0], _N_CLASSES):
            raise ModelError(
                f"model version {self.version} returned probabilities of shape {list(proba.shape)}, "
                f"expected [{features.shape[0]}, {_N_CLASSES}] (home, draw, away)"
            )
        return proba


class ChampionLoader(Protocol):
    """Where champions come from (MLflow in service, a fake in unit tests). Both calls block."""

    def resolve(self) -> str | None:
        """The version the alias points at, or None when there is none yet."""
        ...

    def load(self, version: str) -> Champion:
        """Load and warm one version."""
        ...


class MlflowChampionLoader:
    """Resolve the alias and load a version from an MLflow registry (blocking calls)."""

    def __init__(self, tracking_uri: str, *, name: str = MODEL_NAME, alias: str = ALIAS_CHAMPION) -> None:
        self.tracking_uri = tracking_uri
        self.name = name
        self.alias = alias
        self._client: Any = None

    @property
    def uri(self) -> str:
        """The alias URI this loader follows."""
        return f"models:/{self.name}@{self.alias}"

    def resolve(self) -> str | None:
        """The version behind the alias; None when the model or the alias does not exist yet."""
        from mlflow.exceptions import MlflowException

        try:
            version = self._mlflow_client().get_model_version_by_alias(self.name, self.alias)
        except MlflowException as exc:
            # Unknown model: RESOURCE_DOES_NOT_EXIST; unknown alias: INVALID_PARAMETER_VALUE.
            if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise RegistryError(f"cannot resolve {self.uri} at {self.tracking_uri}: {exc}") from exc
        return str(version.version)

    def load(self, version: str) -> Champion:
        """Download one version (by number, so a moving alias cannot race us), load it and warm it up."""
        import mlflow
        from mlflow.models import Model

        uri = f"models:/{self.name}/{version}"
        local = mlflow.artifacts.download_artifacts(artifact_uri=uri, tracking_uri=self.tracking_uri)
        meta = Model.load(local)
        names = _feature_names(meta, uri)
        logged = _load_estimator(meta, local, uri)
        served = accelerate(logged, check_rows(_input_example(meta, local, names), len(names)))
        champion = Champion(version, names, served.estimator, _flavor(meta), engine=served.engine)
        # Warm-up doubles as the contract check: three probabilities per row.
        champion.predict_proba(np.zeros((1, champion.n_features), dtype=np.float32))
        evaluation, promoted_at = self._details(version)
        return replace(champion, evaluation=evaluation, promoted_at=promoted_at, alias=self.alias)

    def _details(self, version: str) -> tuple[EvaluationReport | None, float | None]:
        """The version's evaluation report and promotion time, for the metrics; missing ones are None."""
        import mlflow

        from soccerpredict.registry.promotion import promoted_at_tag

        try:
            found = self._mlflow_client().get_model_version(self.name, version)
        except Exception as exc:  # metrics only: never fail a load for them
            log.warning("cannot read the registry entry of version %s: %s", version, exc)
            return None, None
        tag = found.tags.get(promoted_at_tag(self.alias))
        try:
            promoted_at: float | None = float(tag) if tag else None
        except ValueError:
            promoted_at = None
        if promoted_at is None and found.creation_timestamp:
            promoted_at = found.creation_timestamp / 1000  # registered before promotion times were tagged
        evaluation = None
        if found.run_id:
            try:
                folder = mlflow.artifacts.download_artifacts(
                    run_id=found.run_id, artifact_path=EVALUATION_ARTIFACT, tracking_uri=self.tracking_uri
                )
                evaluation = EvaluationReport.find(Path(folder))
            except Exception as exc:
                log.info("version %s has no readable evaluation report: %s", version, exc)
        return evaluation, promoted_at

    def _mlflow_client(self) -> Any:
        if self._client is None:
            from mlflow import MlflowClient

            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)
        return self._client


def _feature_names(meta: Any, uri: str) -> tuple[str, ...]:
    signature = meta.signature
    if signature is None or signature.inputs is None:
        raise RegistryError(f"{uri} has no signature; log it with signature=infer_signature(X_df, proba)")
    names = tuple(signature.inputs.input_names())
    if not names or not all(isinstance(n, str) and n for n in names):
        raise RegistryError(f"{uri} has a signature without column names; infer it from a DataFrame")
    return names


def _input_example(meta: Any, local: str, names: tuple[str, ...]) -> np.ndarray | None:
    """The rows logged as the model's input example, columns in the served order (None when absent)."""
    try:
        example = meta.load_input_example(local)
        return np.asarray(example[list(names)], dtype=np.float64) if example is not None else None
    except Exception as exc:  # only used to check the engine: random rows still run
        log.info("the model's input example is not usable for the engine check: %s", exc)
        return None


def _flavor(meta: Any) -> str:
    return "sklearn" if "sklearn" in meta.flavors else "xgboost" if "xgboost" in meta.flavors else "unknown"


def _load_estimator(meta: Any, local: str, uri: str) -> Any:
    flavor = _flavor(meta)
    if flavor == "sklearn":
        import mlflow.sklearn

        estimator = mlflow.sklearn.load_model(local)
    elif flavor == "xgboost":
        import mlflow.xgboost

        estimator = mlflow.xgboost.load_model(local)
    else:
        raise RegistryError(f"{uri} has flavors {sorted(meta.flavors)}; log it with mlflow.sklearn.log_model")
    if not callable(getattr(estimator, "predict_proba", None)):
        raise RegistryError(f"{uri} loads as {type(estimator).__name__}, which has no predict_proba")
    return estimator


SwapHook = Callable[[Champion | None, Champion], Awaitable[None]]


class ChampionWatcher:
    """Holds the current champion; re-resolves the alias and swaps when it points elsewhere."""

    def __init__(self, loader: ChampionLoader, *, metrics: Any, on_swap: SwapHook | None = None) -> None:
        self.loader = loader
        self.current: Champion | None = None
        self.reason = "the champion has not been resolved yet"
        self._metrics = metrics
        self._on_swap = on_swap
        self._lock = asyncio.Lock()

    async def refresh(self, *, raise_errors: bool = False) -> bool:
        """Re-resolve the alias; load and swap in a new version. Return whether a swap happened.

        Failures keep the current champion serving; they are logged, or raised with ``raise_errors``
        (the load endpoint reports them to its caller).
        """
        async with self._lock:  # the poll and the load endpoint never load twice at once
            try:
                champion = await self._resolve_and_load()
            except Exception as exc:
                self._not_ready(f"cannot load the champion: {type(exc).__name__}: {exc}", error=True)
                if raise_errors:
                    raise exc if isinstance(exc, SoccerPredictError) else RegistryError(self.reason) from exc
                return False
            if champion is None:
                if raise_errors and self.current is None:
                    raise RegistryError(self.reason)
                return False
            old, self.current = self.current, champion
        self.reason = ""
        self._record(old, champion)
        if self._on_swap is not None:
            try:
                await self._on_swap(old, champion)
            except Exception:
                log.exception("after swapping to version %s", champion.version)
        return True

    async def watch(self, poll_seconds: float) -> None:
        """Refresh now, then every ``poll_seconds``, until cancelled."""
        while True:
            await self.refresh()
            await asyncio.sleep(poll_seconds)

    async def _resolve_and_load(self) -> Champion | None:
        version = await asyncio.to_thread(self.loader.resolve)
        if version is None:
            uri = getattr(self.loader, "uri", "the champion alias")
            self._not_ready(
                f"no model version has the alias {uri} yet; the predictor is not ready until the pipeline promotes one"
            )
            return None
        if self.current is not None and self.current.version == version:
            return None
        log.info("loading model version %s", version)
        return await asyncio.to_thread(self.loader.load, version)

    def _not_ready(self, reason: str, *, error: bool = False) -> None:
        serving = f" (still serving version {self.current.version})" if self.current else ""
        if reason != self.reason:  # say it once per new reason, not every poll
            log.log(logging.ERROR if error else logging.WARNING, "%s%s", reason, serving)
        self.reason = reason

    def _record(self, old: Champion | None, new: Champion) -> None:
        info = self._metrics["model_info"]
        if old is not None:
            self._metrics["model_swaps_total"].inc()
            if old.version != new.version:
                info.remove(INFO_SERVICE, MODEL_NAME, old.version)
        info.labels(service=INFO_SERVICE, model=MODEL_NAME, version=new.version).set(1)
        promoted = self._metrics["model_champion_promoted_timestamp_seconds"]
        if new.promoted_at is not None:
            promoted.labels(model=MODEL_NAME).set(new.promoted_at)
        else:
            promoted.clear()
        record_evaluation(self._metrics, new.evaluation)
        log.info(
            "serving %s version %s%s (%d features)",
            MODEL_NAME,
            new.version,
            f", swapped from version {old.version}" if old else "",
            new.n_features,
        )
