"""The Kubeflow pipeline, wired from the stage table: compile, run locally, submit to a cluster."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from components.stages import STAGES
from soccerpredict.errors import PipelineError
from soccerpredict.image import image_reference

__all__ = [
    "PIPELINE_NAME",
    "POD_CONFIG_KEYS",
    "POD_CONFIG_MAP",
    "POD_SECRETS",
    "build_pipeline",
    "compile_pipeline",
    "run_local",
    "submit",
]

PIPELINE_NAME = "soccer-1x2"
COMPILED = Path(__file__).resolve().parent / "soccer_1x2.yaml"

#: Where the pods of a cluster run find their settings, in the namespace KFP runs them in (``kubeflow`` for
#: KFP standalone; docs/deploy.md creates them): every key of the ConfigMap becomes an env var of the
#: same name, and each Secret key the env var named here (the Secrets the soccerpredict namespace has).
POD_CONFIG_MAP: Final = "soccer-pipeline-config"
POD_CONFIG_KEYS: Final = ("SOCCER_STORE_URI", "SOCCER_S3_ENDPOINT", "MLFLOW_TRACKING_URI", "SOCCER_PREDICTOR_URL")
POD_SECRETS: Final[dict[str, dict[str, str]]] = {
    "soccer-db": {"soccerpredict-url": "SOCCER_DB_URL"},
    "soccer-s3": {"access-key-id": "AWS_ACCESS_KEY_ID", "secret-access-key": "AWS_SECRET_ACCESS_KEY"},
}


def _pod_env(task: Any) -> None:
    """Hand the cluster settings to one task's pod (kfp-kubernetes platform config; ignored by local runs)."""
    from kfp import kubernetes

    kubernetes.use_config_map_as_env(
        task, config_map_name=POD_CONFIG_MAP, config_map_key_to_env={key: key for key in POD_CONFIG_KEYS}
    )
    for secret, keys in POD_SECRETS.items():
        kubernetes.use_secret_as_env(task, secret_name=secret, secret_key_to_env=dict(keys))


def build_pipeline(params: dict[str, Any], *, image: str | None = None, cluster_env: bool = True) -> Callable[..., Any]:
    """A ``@dsl.pipeline`` whose tasks follow the stage table; ``params`` become its default parameters.

    ``params_json`` carries the whole params; the typed parameters of :mod:`pipelines.run_params`
    (experiment, test seasons, track, model families, calibration method, trials per family) default to
    their values in ``params`` and are written into it by a first task, ``merge-params``, that every
    stage reads its params from. It runs without the cluster settings: it needs none.

    Every component runs ``image`` (default: :func:`soccerpredict.image.image_reference`, the image this
    source builds).

    With ``cluster_env`` every task's pod gets the settings of :data:`POD_CONFIG_MAP` and :data:`POD_SECRETS`
    as environment variables; local runs build it without (they inherit this process's environment).
    """
    from kfp import dsl

    from pipelines.components import WRAPPERS, merge_params
    from pipelines.run_params import run_parameter_defaults

    missing = [s.name for s in STAGES if s.name not in WRAPPERS]
    if missing:
        raise PipelineError(f"stages without a KFP wrapper in pipelines/components.py: {missing}")
    components = {
        name: dsl.component(func=fn, base_image=image or image_reference(), install_kfp_package=False)
        for name, fn in {"merge_params": merge_params, **WRAPPERS}.items()
    }
    defaults = run_parameter_defaults(params)

    @dsl.pipeline(name=PIPELINE_NAME, description="SoccerPredict 1X2 training pipeline (the 22-stage table).")
    def soccer_1x2(
        params_json: str = json.dumps(params, sort_keys=True),
        experiment: str = defaults["experiment"],
        test_seasons: list[str] = defaults["test_seasons"],
        track: str = defaults["track"],
        models: list[str] = defaults["models"],
        calibration_method: str = defaults["calibration_method"],
        n_trials_xgb: int = defaults["n_trials_xgb"],
        n_trials_hgb: int = defaults["n_trials_hgb"],
        n_trials_logreg: int = defaults["n_trials_logreg"],
    ) -> None:
        merged = components["merge_params"](
            params_json=params_json,
            experiment=experiment,
            test_seasons=test_seasons,
            track=track,
            models=models,
            calibration_method=calibration_method,
            n_trials_xgb=n_trials_xgb,
            n_trials_hgb=n_trials_hgb,
            n_trials_logreg=n_trials_logreg,
        )
        produced: dict[str, Any] = {}
        tasks: dict[str, Any] = {}
        for stage in STAGES:
            inputs = {arg: produced[artifact] for arg, artifact in stage.inputs.items()}
            task = components[stage.name](params_json=merged.output, **inputs)
            for gate in stage.after:
                task.after(tasks[gate])  # a failed gate stops everything downstream
            tasks[stage.name] = task
            if cluster_env:
                _pod_env(task)
            if stage.side_effects:
                task.set_caching_options(False)
            for arg, artifact in stage.outputs.items():
                produced[artifact] = task.outputs[arg]

    return soccer_1x2


def compile_pipeline(params: dict[str, Any], *, out: Path = COMPILED, image: str | None = None) -> Path:
    """Compile to the KFP v2 IR YAML."""
    from kfp import compiler

    compiler.Compiler().compile(build_pipeline(params, image=image), package_path=str(out))
    return out


def run_local(params: dict[str, Any], *, pipeline_root: Path) -> Any:
    """Run the whole pipeline on this machine with KFP's SubprocessRunner (the current venv, no containers)."""
    from kfp import local

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root))
    return build_pipeline(params, cluster_env=False)()


def submit(
    package: Path,
    *,
    host: str,
    experiment: str = "soccerpredict",
    run_name: str | None = None,
    params: dict[str, Any] | None = None,
) -> str:
    """Upload and start a run of a compiled pipeline with ``kfp.Client``; returns the run id."""
    import kfp

    if not package.exists():
        raise PipelineError(f"{package} does not exist; run `soccerpredict pipeline compile` first")
    try:
        client = kfp.Client(host=host)
        result = client.create_run_from_pipeline_package(
            str(package),
            arguments=params or {},
            experiment_name=experiment,
            run_name=run_name,
        )
    except Exception as exc:  # kfp raises urllib3/requests/ApiException errors for an unreachable host
        raise PipelineError(f"cannot submit to the KFP host {host}: {exc}") from exc
    return str(result.run_id)
