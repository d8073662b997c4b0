"""The Kubeflow pipeline, wired from the stage table: compile, run locally, submit to a cluster."""

import importlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

from components.stages import STAGES
from soccerpredict.errors import PipelineError
from soccerpredict.image import image_reference

__all__ = [
    "PIPELINE_NAME",
    "POD_CONFIG_KEYS",
    "POD_CONFIG_MAP",
    "POD_SECRETS",
    "Submission",
    "build_pipeline",
    "check_arguments",
    "compile_pipeline",
    "default_version_name",
    "docker_run_environment",
    "parse_param_pairs",
    "pipeline_parameters",
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
    base_image = image or image_reference()  # hashes the source tree: once, not once per component
    components = {
        name: dsl.component(func=fn, base_image=base_image, install_kfp_package=False)
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


#: Settings the containers of a Docker run inherit from this process (the rest of the environment stays out).
_FORWARDED_ENV_PREFIXES = ("SOCCER_", "MLFLOW_", "AWS_")


def docker_run_environment(pipeline_root: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of every component container of a Docker run.

    Only ``pipeline_root`` is shared with the containers (kfp mounts it at the same path), so the state the
    stages hand on besides their artifacts (the SQLite database, the MLflow store, the object store) lives in
    ``<pipeline_root>/soccer-home``; ``SOCCER_*``, ``MLFLOW_*`` and ``AWS_*`` settings of this process are
    forwarded, so a PostgreSQL or MLflow server on this machine is used when they name one.
    """
    env = {key: value for key, value in environ.items() if key.startswith(_FORWARDED_ENV_PREFIXES)}
    env["SOCCER_HOME"] = str(pipeline_root / "soccer-home")
    env["HOME"] = "/tmp"  # the host user's uid has no home in the image
    return env


def _docker_runner(pipeline_root: Path, image: str) -> Any:
    from kfp import local

    try:
        # By name: for mypy, `docker` is also the repo's docker/ folder (a namespace package beside an untyped SDK).
        docker_sdk = importlib.import_module("docker")
        client = docker_sdk.from_env()
        client.images.get(image)
    except ImportError as exc:
        raise PipelineError("the Docker runner needs the docker package: make install") from exc
    except Exception as exc:  # docker.errors.ImageNotFound, DockerException (no engine)
        raise PipelineError(
            f"cannot run in the image {image}: {exc}; start dockerd and build it with `make image`"
        ) from exc
    (pipeline_root / "soccer-home").mkdir(parents=True, exist_ok=True)
    return local.DockerRunner(
        environment=docker_run_environment(pipeline_root, os.environ),
        # The host's uid owns what the containers write under pipeline_root; host networking reaches the
        # services on 127.0.0.1 that forwarded settings may name.
        user=f"{os.getuid()}:{os.getgid()}",
        network_mode="host",
    )


def run_local(
    params: dict[str, Any],
    *,
    pipeline_root: Path,
    runner: Literal["subprocess", "docker"] = "subprocess",
    image: str | None = None,
) -> Any:
    """Run the whole pipeline on this machine through KFP's local runner.

    ``subprocess``: every component in a subprocess of this venv. ``docker``: every component in a container
    of ``image`` (default :func:`soccerpredict.image.image_reference`, which must exist locally: `make
    image`), as a cluster runs them.
    """
    from kfp import local

    ref = image or image_reference()
    if runner == "docker":
        local.init(runner=_docker_runner(pipeline_root, ref), pipeline_root=str(pipeline_root))
    else:
        local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(pipeline_root))
    try:
        return build_pipeline(params, image=ref, cluster_env=False)()
    except RuntimeError as exc:  # kfp.local: "Pipeline 'soccer-1x2' finished with status FAILURE. Inner task ..."
        raise PipelineError(f"{exc} (each task's log is above; its outputs are under {pipeline_root})") from exc


@dataclass(frozen=True, slots=True)
class Submission:
    """What :func:`submit` created on the KFP API server."""

    host: str
    pipeline_id: str
    pipeline_created: bool  # False: a pipeline of that name existed and got a new version
    version_id: str
    version_name: str
    experiment_id: str
    experiment: str
    run_id: str
    run_name: str
    parameters: dict[str, Any]


def _pipeline_spec(package: Path) -> dict[str, Any]:
    import yaml

    if not package.exists():
        raise PipelineError(f"{package} does not exist; run `soccerpredict pipeline compile` first")
    spec = next(iter(yaml.safe_load_all(package.read_text(encoding="utf-8"))), None)
    if not isinstance(spec, dict) or "pipelineInfo" not in spec:
        raise PipelineError(f"{package} is not a compiled KFP pipeline (no pipelineInfo)")
    return spec


def pipeline_parameters(package: Path) -> dict[str, str]:
    """The compiled pipeline's parameters and their KFP types (``STRING``, ``LIST``, ``NUMBER_INTEGER``, ...)."""
    declared = _pipeline_spec(package).get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    return {name: str(definition["parameterType"]) for name, definition in declared.items()}


def parse_param_pairs(pairs: Sequence[str]) -> dict[str, Any]:
    """``key=value`` strings as a dict: each value parsed as JSON when it parses, else kept as a string."""
    parsed: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise PipelineError(f"--param {pair!r} is not key=value")
        try:
            parsed[key.strip()] = json.loads(text)
        except json.JSONDecodeError:
            parsed[key.strip()] = text
    return parsed


def _checked_value(name: str, kind: str, value: Any) -> Any:
    if kind == "STRING":
        # a JSON-looking value (`experiment=2024`) is still the string it was typed as
        return value if isinstance(value, str) else json.dumps(value)
    expected = {
        "NUMBER_INTEGER": (int,),
        "NUMBER_DOUBLE": (int, float),
        "BOOLEAN": (bool,),
        "LIST": (list,),
        "STRUCT": (dict,),
    }.get(kind)
    ok = expected is None or (isinstance(value, expected) and (kind == "BOOLEAN" or not isinstance(value, bool)))
    if not ok:
        example = ' e.g. test_seasons=\'["2223","2324"]\'' if kind == "LIST" else ""
        raise PipelineError(f"pipeline parameter {name} is {kind}, got {value!r}; pass it as JSON{example}")
    return value


def check_arguments(arguments: Mapping[str, Any], parameters: Mapping[str, str]) -> dict[str, Any]:
    """``arguments`` checked against the compiled pipeline's ``parameters``: known names, matching types."""
    unknown = sorted(set(arguments) - set(parameters))
    if unknown:
        raise PipelineError(f"unknown pipeline parameter(s) {unknown}; the pipeline has: {sorted(parameters)}")
    return {name: _checked_value(name, parameters[name], value) for name, value in arguments.items()}


def default_version_name(*, repo: Path = COMPILED.parents[1], now: datetime | None = None) -> str:
    """The git commit's short hash of ``repo``, or a UTC timestamp when it is not a git checkout."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        done = None
    if done is not None and done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip()
    return (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")


def submit(
    package: Path,
    *,
    host: str,
    version_name: str,
    experiment: str = "soccerpredict",
    run_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    pipeline_name: str | None = None,
) -> Submission:
    """Upload ``package`` as a new version of its pipeline and start a run of that version in ``experiment``.

    The pipeline (named ``pipeline_name``, default the compiled name) is uploaded first when the server
    has none of that name. ``params`` are checked against the compiled parameters before any call.
    """
    import contextlib
    import sys

    import kfp

    arguments = check_arguments(params or {}, pipeline_parameters(package))
    name = pipeline_name or str(_pipeline_spec(package)["pipelineInfo"]["name"])
    run = run_name or f"{name}-{version_name}"
    try:
        with contextlib.redirect_stdout(sys.stderr):  # kfp prints UI links; stdout stays for --json
            client = kfp.Client(host=host)
            pipeline_id = client.get_pipeline_id(name)
            created = pipeline_id is None
            if pipeline_id is None:
                pipeline_id = client.upload_pipeline(str(package), pipeline_name=name).pipeline_id
            version = client.upload_pipeline_version(str(package), version_name, pipeline_id=pipeline_id)
            kfp_experiment = client.create_experiment(name=experiment)
            result = client.run_pipeline(
                experiment_id=kfp_experiment.experiment_id,
                job_name=run,
                pipeline_id=pipeline_id,
                version_id=version.pipeline_version_id,
                params=arguments,
            )
    except Exception as exc:  # kfp raises urllib3/requests/ApiException/ValueError errors
        raise PipelineError(f"cannot submit to the KFP host {host}: {_api_error(exc)}") from exc
    return Submission(
        host=host,
        pipeline_id=str(pipeline_id),
        pipeline_created=created,
        version_id=str(version.pipeline_version_id),
        version_name=version_name,
        experiment_id=str(kfp_experiment.experiment_id),
        experiment=experiment,
        run_id=str(result.run_id),
        run_name=run,
        parameters=arguments,
    )


def _api_error(exc: Exception) -> str:
    """The API server's own message for an HTTP error (kfp_server_api's ApiException), else the exception."""
    status, body = getattr(exc, "status", None), getattr(exc, "body", None)
    if status is None or not body:
        return str(exc)
    try:
        message = json.loads(body).get("message") or body
    except (ValueError, AttributeError):
        message = body
    hint = "; names must be unique: pass another --version-name" if status == 409 else ""
    return f"HTTP {status} {getattr(exc, 'reason', '')}: {message}{hint}"
