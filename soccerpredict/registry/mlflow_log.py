"""Log a training run to MLflow and register its model as a new version of ``soccer-1x2`` (alias ``smoke``)."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from soccerpredict.artifacts import ALIAS_SMOKE, MODEL_NAME
from soccerpredict.errors import RegistryError

__all__ = ["Registration", "git_commit", "log_and_register", "use_tracking"]

EXPERIMENT = "soccer-1x2"
#: Explicit requirements: MLflow otherwise infers them in a subprocess (5-8 s slower per model).
PIP_REQUIREMENTS = ["scikit-learn==1.9.1", "xgboost-cpu==3.2.0", "pandas<3", "numpy<2.7", "scipy"]


@dataclass(frozen=True, slots=True)
class Registration:
    """A registered model version and where it came from."""

    model_name: str
    version: str
    run_id: str
    model_uri: str

    def to_dict(self) -> dict[str, str]:
        """Plain dict for JSON."""
        return asdict(self)


def use_tracking(tracking_uri: str) -> None:
    """Point MLflow at a tracking store (SQLite file or server URL) and the project's experiment."""
    import mlflow

    mlflow.set_tracking_uri(tracking_uri)
    if mlflow.get_experiment_by_name(EXPERIMENT) is None:
        # Another process may create it meanwhile: then that one is used.
        with contextlib.suppress(mlflow.exceptions.MlflowException):
            mlflow.create_experiment(EXPERIMENT, artifact_location=_artifact_location(tracking_uri))
    mlflow.set_experiment(EXPERIMENT)


def _artifact_location(tracking_uri: str) -> str | None:
    """Beside a SQLite store (``<folder>/mlartifacts``), not MLflow's default ``./mlruns`` of whatever folder the
    process started in; a tracking server decides for itself (None)."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri.removeprefix("sqlite:///")).parent / "mlartifacts").as_uri()
    return None


def git_commit(cwd: Path | None = None) -> str:
    """The checked-out commit, or "unknown" outside a git work tree."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def log_and_register(
    model: Any,
    *,
    example: pd.DataFrame,
    params: Mapping[str, Any],
    metrics: Mapping[str, float],
    tags: Mapping[str, str],
    artifacts: Mapping[str, Path],
) -> Registration:
    """Log params, metrics, tags, files and the model (with signature and input example); register it.

    The new version gets the ``smoke`` alias: it loads and predicts, nothing more is claimed.
    """
    import mlflow
    from mlflow.models import infer_signature
    from mlflow.tracking import MlflowClient

    try:
        with mlflow.start_run() as run:
            mlflow.log_params({k: _short(v) for k, v in params.items()})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
            mlflow.set_tags(dict(tags))
            for folder, path in artifacts.items():
                if path.is_dir():
                    mlflow.log_artifacts(str(path), artifact_path=folder)
                elif path.exists():
                    mlflow.log_artifact(str(path), artifact_path=folder)
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                signature=infer_signature(example, model.predict_proba(example)),
                input_example=example.head(2),
                registered_model_name=MODEL_NAME,
                pip_requirements=PIP_REQUIREMENTS,
                serialization_format="skops",
                skops_trusted_types=_own_types(model),
            )
        version = str(info.registered_model_version)
        MlflowClient().set_registered_model_alias(MODEL_NAME, ALIAS_SMOKE, version)
    except mlflow.exceptions.MlflowException as exc:
        raise RegistryError(f"cannot log or register the model: {exc}") from exc
    return Registration(MODEL_NAME, version, run.info.run_id, f"models:/{MODEL_NAME}/{version}")


def _own_types(model: Any) -> list[str]:
    """The types skops does not trust by default in a model we trained ourselves (skops, unlike pickle,
    runs no code on load, so the serving side loads it safely)."""
    import skops.io

    return list(skops.io.get_untrusted_types(data=skops.io.dumps(model)))


def _short(value: Any) -> str:
    """MLflow caps a param value at 6000 characters."""
    text = str(value)
    return text if len(text) <= 500 else text[:497] + "..."
