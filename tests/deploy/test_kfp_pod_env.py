"""The compiled KFP pipeline hands every pod the cluster settings, from objects docs/deploy.md says to create."""

from __future__ import annotations

import re
from typing import Any

import kustomize_tree as kt
import pytest
import yaml

from pipelines.kfp_pipeline import POD_CONFIG_KEYS, POD_CONFIG_MAP, POD_SECRETS

COMPILED = kt.REPO / "pipelines" / "soccer_1x2.yaml"
DEPLOY_DOC = kt.REPO / "docs" / "deploy.md"


def platform_executors() -> dict[str, Any]:
    docs = list(yaml.safe_load_all(COMPILED.read_text(encoding="utf-8")))
    platform = next(d for d in docs if isinstance(d, dict) and "platforms" in d)
    executors: dict[str, Any] = platform["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    return executors


def pipeline_executors() -> set[str]:
    spec = yaml.safe_load(next(iter(COMPILED.read_text(encoding="utf-8").split("\n---\n"))))
    return set(spec["deploymentSpec"]["executors"])


def test_every_executor_gets_the_config_map_and_the_secrets() -> None:
    executors = platform_executors()
    # Every stage's pod; merge-params (it only merges the run's typed parameters) needs no cluster settings.
    assert set(executors) == pipeline_executors() - {"exec-merge-params"} and len(executors) == 22
    for name, config in executors.items():
        (config_map,) = config["configMapAsEnv"]
        assert config_map["configMapName"] == POD_CONFIG_MAP, name
        assert {(k["configMapKey"], k["envVar"]) for k in config_map["keyToEnv"]} == {(k, k) for k in POD_CONFIG_KEYS}
        secrets = {s["secretName"]: {k["secretKey"]: k["envVar"] for k in s["keyToEnv"]} for s in config["secretAsEnv"]}
        assert secrets == POD_SECRETS, name
        assert not config_map["optional"] and not any(s["optional"] for s in config["secretAsEnv"])


def test_the_pods_get_what_the_stages_read() -> None:
    env = set(POD_CONFIG_KEYS) | {v for keys in POD_SECRETS.values() for v in keys.values()}
    assert {"SOCCER_DB_URL", "SOCCER_STORE_URI", "MLFLOW_TRACKING_URI", "AWS_ACCESS_KEY_ID"} <= env


@pytest.fixture(scope="module")
def deploy_doc() -> str:
    return DEPLOY_DOC.read_text(encoding="utf-8")


def test_the_deploy_guide_creates_them_in_the_kubeflow_namespace(deploy_doc: str) -> None:
    rows = re.findall(r"^\|\s*kubeflow\s*\|\s*`([a-z0-9-]+)`\s*\|([^|]*)\|", deploy_doc, re.MULTILINE)
    documented = {name: set(re.findall(r"`([A-Za-z0-9._-]+)`", keys)) for name, keys in rows}
    assert documented == {name: set(keys) for name, keys in POD_SECRETS.items()}
    for name, keys in POD_SECRETS.items():
        command = re.search(rf"^\$K {name} (.+)$", deploy_doc, re.MULTILINE)
        assert command, f"docs/deploy.md does not create kubeflow/{name}"
        assert set(re.findall(r"--from-literal=([a-z0-9-]+)=", command.group(1))) == set(keys)
    create_map = re.search(rf"kubectl -n kubeflow create configmap {POD_CONFIG_MAP}((?:.*\\\n)*.*)", deploy_doc)
    assert create_map, f"docs/deploy.md does not create kubeflow/{POD_CONFIG_MAP}"
    assert set(re.findall(r"--from-literal=([A-Z0-9_]+)=", create_map.group(1))) == set(POD_CONFIG_KEYS)


def test_the_prod_overlay_creates_them_in_the_kubeflow_namespace(rendered: dict[str, list[dict[str, Any]]]) -> None:
    prod = rendered["prod"]
    in_kubeflow = {(o["kind"], o["metadata"]["name"]) for o in prod if o["metadata"].get("namespace") == "kubeflow"}
    assert in_kubeflow == {("ConfigMap", POD_CONFIG_MAP)} | {("ExternalSecret", name) for name in POD_SECRETS}
    (pipeline_config,) = (o for o in prod if o["kind"] == "ConfigMap" and o["metadata"]["name"] == POD_CONFIG_MAP)
    (app_config,) = (o for o in prod if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "soccer-config")
    assert set(pipeline_config["data"]) == set(POD_CONFIG_KEYS)
    for key, value in pipeline_config["data"].items():  # the same services the deployed app talks to
        assert value == app_config["data"][key], key
    for es in prod:
        if es["kind"] == "ExternalSecret" and es["metadata"]["namespace"] == "kubeflow":
            target = es["spec"]["target"]
            template = target.get("template") or {}
            keys = set(template["data"]) if template.get("data") else {d["secretKey"] for d in es["spec"]["data"]}
            assert keys == set(POD_SECRETS[target["name"]]), target["name"]
