"""The Helm values of the official Airflow chart (manifests/base/airflow/values.yaml, prod additions).

Structural only: helm is not installed here, so the chart is not rendered. The key names are checked against the
chart's own ``values.yaml`` of the Airflow 3 era (apache/airflow ``chart/values.yaml`` at commit
002e5532d7d55a375bbf71bd4e72d7e008635073: ``apiServer``, ``apiSecretKeySecretName``, ``jwtSecretName``...), listed in
KNOWN_KEYS; a key added to the values must be verified there and added to the list.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import kustomize_tree as kt
import pytest
import yaml
from workloads import find, pipeline_image, settings_env_names

from soccerpredict.image import airflow_reference

BASE_VALUES = kt.BASE / "airflow" / "values.yaml"
PROD_VALUES = kt.OVERLAYS["prod"] / "airflow-values.yaml"
DOCKERFILE = kt.REPO / "docker" / "airflow.Dockerfile"
DAGS = kt.REPO / "airflow" / "dags"

#: Chart keys used here, as they appear in the chart's values.yaml (see the module docstring).
KNOWN_KEYS = {
    "airflowVersion",
    "defaultAirflowRepository",
    "defaultAirflowTag",
    "images.airflow.repository",
    "images.airflow.tag",
    "images.airflow.pullPolicy",
    "executor",
    "uid",
    "gid",
    "securityContexts.pod",
    "postgresql.enabled",
    "redis.enabled",
    "data.metadataSecretName",
    "fernetKeySecretName",
    "apiSecretKeySecretName",
    "jwtSecretName",
    "dags.persistence.enabled",
    "dags.gitSync.enabled",
    "dags.gitSync.repo",
    "dags.gitSync.branch",
    "dags.gitSync.rev",
    "dags.gitSync.ref",
    "dags.gitSync.depth",
    "dags.gitSync.subPath",
    "dags.gitSync.period",
    "dags.gitSync.credentialsSecret",
    "dags.gitSync.resources",
    "env",
    "secret",
    "volumes",
    "volumeMounts",
    "config",
    "scheduler.replicas",
    "scheduler.resources",
    "scheduler.podDisruptionBudget.enabled",
    "scheduler.podDisruptionBudget.config",
    "apiServer.replicas",
    "apiServer.resources",
    "apiServer.podDisruptionBudget.enabled",
    "apiServer.podDisruptionBudget.config",
    "dagProcessor.enabled",
    "dagProcessor.resources",
    "triggerer.enabled",
    "triggerer.persistence.enabled",
    "triggerer.resources",
    "workers.persistence.enabled",
    "statsd.enabled",
    "logs.persistence.enabled",
    "webserver.defaultUser.enabled",
    "migrateDatabaseJob.useHelmHooks",
    "migrateDatabaseJob.applyCustomEnv",
    "createUserJob.useHelmHooks",
    "createUserJob.applyCustomEnv",
    "ingress.apiServer.enabled",
    "ingress.apiServer.ingressClassName",
    "ingress.apiServer.annotations",
    "ingress.apiServer.hosts",
}
#: Keys whose whole subtree is free-form data (lists of env entries, Kubernetes objects, airflow.cfg sections).
FREE_FORM = {
    "env",
    "secret",
    "volumes",
    "volumeMounts",
    "config",
    "securityContexts.pod",
    "ingress.apiServer.annotations",
    "ingress.apiServer.hosts",
}
#: The chart's secret-name values and the key it reads from each Secret.
SECRET_NAME_KEYS = {
    "data.metadataSecretName": "connection",
    "fernetKeySecretName": "fernet-key",
    "apiSecretKeySecretName": "api-secret-key",
    "jwtSecretName": "jwt-secret",
}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def leaf_paths(node: Any, prefix: str = "") -> Iterator[str]:
    """Dotted paths of the values, stopping at leaves, at free-form keys and at resources/config blocks."""
    if isinstance(node, dict) and prefix not in FREE_FORM and not prefix.endswith((".resources", ".config")):
        for key, value in node.items():
            yield from leaf_paths(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix


def get(values: dict[str, Any], dotted: str) -> Any:
    node: Any = values
    for part in dotted.split("."):
        node = node[part]
    return node


@pytest.fixture(scope="module", params=[BASE_VALUES, PROD_VALUES], ids=["base", "prod"])
def values_file(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_keys_are_chart_keys(values_file: Path) -> None:
    unknown = sorted(set(leaf_paths(load(values_file))) - KNOWN_KEYS)
    assert not unknown, f"{values_file.name}: keys not verified against the chart's values.yaml: {unknown}"


def test_leaf_paths_stop_at_free_form_keys() -> None:
    paths = set(leaf_paths({"env": [{"name": "X"}], "scheduler": {"resources": {"requests": {}}, "replicas": 1}}))
    assert paths == {"env", "scheduler.resources", "scheduler.replicas"}


def test_no_credentials_in_values(values_file: Path) -> None:
    text = values_file.read_text(encoding="utf-8")
    for key in ("fernetKey:", "apiSecretKey:", "jwtSecret:", "webserverSecretKey:", "password:", "metadataConnection:"):
        assert not re.search(rf"^\s*{key}", text, re.MULTILINE), f"{values_file.name} sets {key}"


def test_secrets_are_documented(documented_secrets: dict[tuple[str, str], set[str]]) -> None:
    values = load(BASE_VALUES)
    references = {(get(values, path), key) for path, key in SECRET_NAME_KEYS.items()}
    references |= {(entry["secretName"], entry["secretKey"]) for entry in values["secret"]}
    for name, key in sorted(references):
        assert key in documented_secrets.get(("airflow", name), set()), f"airflow/{name} key {key} is not documented"
    assert get(values, "webserver.defaultUser.enabled") is False, "the chart's default user has a password in values"


def test_image_is_the_airflow_dockerfile() -> None:
    values = load(BASE_VALUES)
    lock = (kt.REPO / "airflow" / "requirements.lock").read_text(encoding="utf-8")
    assert f"apache-airflow=={values['airflowVersion']}\n" in lock, "the chart's airflowVersion is the locked one"
    assert "airflow/requirements.lock" in DOCKERFILE.read_text(encoding="utf-8")
    image = values["images"]["airflow"]
    assert (image["repository"], image["tag"]) == (values["defaultAirflowRepository"], values["defaultAirflowTag"])
    repository, tag = airflow_reference().rsplit(":", 1)
    assert image["repository"] == repository
    assert image["tag"] == tag == pipeline_image().rsplit(":", 1)[1], "run `make pin`: the tag is the source's"


def test_environment_matches_the_image_and_the_dags(rendered: dict[str, list[dict[str, Any]]]) -> None:
    values = load(BASE_VALUES)
    env = {e["name"]: e["value"] for e in values["env"]}
    dockerfile = DOCKERFILE.read_text(encoding="utf-8")
    assert f"SOCCERPREDICT_BIN={env['SOCCERPREDICT_BIN']}" in dockerfile.replace(" \\\n    ", " ")
    assert "COPY --from=project /opt/venv /opt/venv" in dockerfile, "the project image's venv, at its own path"
    assert f"SOCCER_PARAMS={env['SOCCER_PARAMS']}" in dockerfile.replace(" \\\n    ", " ")
    # Every SOCCER_* variable is a setting of the project or a setting the DAGs read.
    dag_settings = set()
    for dag in DAGS.glob("*.py"):
        dag_settings |= set(re.findall(r'(?:setting\(|environ\[|environ\.get\()"([A-Z_]+)"', dag.read_text()))
    names = set(env) | {entry["envName"] for entry in values["secret"]}
    unknown = sorted(n for n in names if n.startswith("SOCCER") and n not in settings_env_names() | dag_settings)
    assert not unknown, f"neither a Settings field nor read by a DAG: {unknown}"
    # The cluster URLs point at Services that exist, on their ports.
    for key in ("SOCCER_S3_ENDPOINT", "MLFLOW_TRACKING_URI", "SOCCER_API_URL"):
        url = urlparse(env[key])
        name, ns = (url.hostname or "").split(".")[:2]
        service = find(rendered["prod"], "Service", ns, name)
        assert service is not None and url.port in {p["port"] for p in service["spec"]["ports"]}, key
    mounts = {m["mountPath"] for m in values["volumeMounts"]}
    for key in ("SOCCER_HOME", "SOCCER_AIRFLOW_WORKDIR", "SOCCER_TRAINING_WORKDIR"):
        assert any(env[key].startswith(m + "/") for m in mounts), f"{key} is not on a writable volume"


def test_git_sync_serves_the_dags_folder() -> None:
    sync = load(BASE_VALUES)["dags"]["gitSync"]
    assert sync["enabled"] is True
    folder = kt.REPO / sync["subPath"]
    assert folder.resolve() == DAGS.resolve() and any(folder.glob("*.py"))
    # soccer_common.REPO is parents[2] of a DAG file: the checkout's root, two folders above the DAGs.
    assert len(Path(sync["subPath"]).parts) == 2
    assert "parents[2]" in (DAGS / "soccer_common.py").read_text(encoding="utf-8")
