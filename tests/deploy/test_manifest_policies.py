"""Cross-references and rules over the rendered objects of both overlays.

References resolve (HPA targets, Service/PDB selectors, Ingress backends, ConfigMaps, ServiceAccounts), every
secret reference is documented in docs/deploy.md, images are pinned, every container has resources, probes and a
non-root, locked-down security context, and the manifests agree with the code (commands, ports, queues, settings)
and with the monitoring configuration of manifests/prometheus and manifests/grafana.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import kustomize_tree as kt
import pytest
import yaml
from workloads import PodTemplate, containers, find, pipeline_image, pod_templates, settings_env_names

from soccerpredict.settings import Settings

Obj = dict[str, Any]
Objects = list[Obj]
OVERLAYS = ["local", "prod"]
APP_NAMESPACE = "soccerpredict"


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def of_kind(objects: Objects, kind: str) -> list[Obj]:
    return [o for o in objects if o["kind"] == kind]


def env_of(container: Obj) -> dict[str, Obj]:
    return {e["name"]: e for e in container.get("env") or []}


# --- references ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_hpa_targets_exist_and_can_scale(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        ref, ns = hpa["spec"]["scaleTargetRef"], hpa["metadata"]["namespace"]
        target = find(objects, ref["kind"], ns, ref["name"])
        assert target is not None, f"HPA {hpa['metadata']['name']} targets a missing {ref['kind']}/{ref['name']}"
        assert target["apiVersion"] == ref["apiVersion"]
        # The HPA owns the replica count: a replicas field would fight it on every apply.
        assert "replicas" not in target["spec"], f"{ref['name']} sets replicas although an HPA scales it"
        for container in target["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"].get("cpu"), "CPU utilisation needs a CPU request"
        assert 1 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_select_pods_and_ports(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    pods = list(pod_templates(objects))
    for service in of_kind(objects, "Service"):
        ns, selector = service["metadata"]["namespace"], service["spec"].get("selector") or {}
        matched = [p for p in pods if p.namespace == ns and selects(selector, p.labels)]
        assert matched, f"Service {service['metadata']['name']} selects no pods ({selector})"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for pod in matched:
                ports = [p for c in pod.spec["containers"] for p in c.get("ports") or []]
                known = (
                    {p.get("name") for p in ports} if isinstance(target, str) else {p["containerPort"] for p in ports}
                )
                assert target in known, f"Service {service['metadata']['name']}: {pod.owner} has no port {target}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_statefulsets_have_a_headless_governing_service(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    for sts in of_kind(objects, "StatefulSet"):
        service = find(objects, "Service", sts["metadata"]["namespace"], sts["spec"]["serviceName"])
        assert service is not None and service["spec"].get("clusterIP") == "None", sts["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pdbs_select_pods(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    pods = list(pod_templates(objects))
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        selector = pdb["spec"]["selector"]["matchLabels"]
        assert any(selects(selector, p.labels) for p in pods), f"PDB {pdb['metadata']['name']} selects no pods"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_backends_exist(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    for ingress in of_kind(objects, "Ingress"):
        ns = ingress["metadata"]["namespace"]
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service = find(objects, "Service", ns, backend["name"])
                assert service is not None, f"Ingress {ingress['metadata']['name']} -> missing {backend['name']}"
                names = {p.get("name") for p in service["spec"]["ports"]}
                assert backend["port"].get("name") in names or backend["port"].get("number") in {
                    p["port"] for p in service["spec"]["ports"]
                }
            assert "/metrics" not in {p["path"] for p in rule["http"]["paths"]}, "metrics stay internal"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_config_maps_and_service_accounts_exist(rendered: dict[str, Objects], overlay: str) -> None:
    objects = rendered[overlay]
    for pod in pod_templates(objects):
        sa = pod.spec.get("serviceAccountName")
        assert sa and find(objects, "ServiceAccount", pod.namespace, sa), f"{pod.owner}: ServiceAccount {sa}"
        names = {v["configMap"]["name"] for v in pod.spec.get("volumes") or [] if "configMap" in v}
        for container in containers(pod.spec):
            names |= {e["configMapRef"]["name"] for e in container.get("envFrom") or [] if "configMapRef" in e}
            names |= {
                e["valueFrom"]["configMapKeyRef"]["name"]
                for e in container.get("env") or []
                if "configMapKeyRef" in (e.get("valueFrom") or {})
            }
        for name in names:
            assert find(objects, "ConfigMap", pod.namespace, name), f"{pod.owner}: ConfigMap {name} is missing"


# --- secrets ------------------------------------------------------------------------------------------------


def secret_references(objects: Objects) -> set[tuple[str, str, str | None]]:
    """(namespace, secret, key) of every reference; key None for a whole secret (envFrom, volume without items)."""
    refs: set[tuple[str, str, str | None]] = set()
    for pod in pod_templates(objects):
        for volume in pod.spec.get("volumes") or []:
            if "secret" in volume:
                items = volume["secret"].get("items")
                keys = [i["key"] for i in items] if items else [None]
                refs |= {(pod.namespace, volume["secret"]["secretName"], k) for k in keys}
        for container in containers(pod.spec):
            for env in container.get("env") or []:
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    refs.add((pod.namespace, ref["name"], ref["key"]))
            refs |= {
                (pod.namespace, e["secretRef"]["name"], None)
                for e in container.get("envFrom") or []
                if "secretRef" in e
            }
    return refs


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_reference_is_documented(
    rendered: dict[str, Objects], documented_secrets: dict[tuple[str, str], set[str]], overlay: str
) -> None:
    refs = secret_references(rendered[overlay])
    assert refs, "no secret references found: the check would be vacuous"
    for ns, name, key in sorted(refs, key=str):
        assert (ns, name) in documented_secrets, f"Secret {ns}/{name} is not in the table of docs/deploy.md"
        if key is not None:
            assert key in documented_secrets[(ns, name)], f"key {key} of {ns}/{name} is not documented"


def test_external_secrets_produce_exactly_the_documented_secrets(
    rendered: dict[str, Objects], documented_secrets: dict[tuple[str, str], set[str]]
) -> None:
    produced: dict[tuple[str, str], set[str]] = {}
    for es in of_kind(rendered["prod"], "ExternalSecret"):
        target = es["spec"]["target"]
        template = target.get("template") or {}
        keys = set(template["data"]) if template.get("data") else {d["secretKey"] for d in es["spec"]["data"]}
        produced[(es["metadata"]["namespace"], target["name"])] = keys
    assert produced == documented_secrets
    # and what the prod manifests read is among them
    for ns, name, key in secret_references(rendered["prod"]):
        assert (ns, name) in produced and (key is None or key in produced[(ns, name)]), (ns, name, key)


# --- images and containers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_pinned(rendered: dict[str, Objects], overlay: str) -> None:
    app_repository = pipeline_image().rsplit(":", 1)[0]
    for pod in pod_templates(rendered[overlay]):
        for container in containers(pod.spec):
            image = container["image"]
            if "@sha256:" in image:
                continue
            name, _, tag = image.rpartition(":")
            assert name and "/" not in tag and tag, f"{pod.owner}: {image} has no tag"
            assert tag != "latest", f"{pod.owner}: {image} uses latest"
            if name == app_repository:
                assert image == pipeline_image(), f"{pod.owner}: {image} differs from the KFP components' image"


def test_the_project_image_is_the_pipeline_image(rendered: dict[str, Objects]) -> None:
    images = {c["image"] for p in pod_templates(rendered["prod"]) for c in containers(p.spec)}
    assert pipeline_image() in images
    compiled = (kt.REPO / "pipelines" / "soccer_1x2.yaml").read_text(encoding="utf-8")
    assert set(re.findall(r"^\s+image: (\S+)$", compiled, re.MULTILINE)) == {pipeline_image()}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_containers_have_resources_and_probes(rendered: dict[str, Objects], overlay: str) -> None:
    for pod in pod_templates(rendered[overlay]):
        for container in containers(pod.spec):
            where = f"{pod.owner} {container['name']}"
            resources = container.get("resources") or {}
            for section in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(section) or {}), f"{where}: {section} incomplete"
        if pod.long_running:
            for container in pod.spec["containers"]:
                where = f"{pod.owner} {container['name']}"
                assert container.get("readinessProbe"), f"{where}: no readinessProbe"
                assert container.get("livenessProbe"), f"{where}: no livenessProbe"


def _run_as_user(pod: Obj, container: Obj) -> Any:
    return (container.get("securityContext") or {}).get(
        "runAsUser", (pod.get("securityContext") or {}).get("runAsUser")
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_non_root_and_locked_down(rendered: dict[str, Objects], overlay: str) -> None:
    for pod in pod_templates(rendered[overlay]):
        pod_sc = pod.spec.get("securityContext") or {}
        assert pod_sc.get("runAsNonRoot") is True, f"{pod.owner}: runAsNonRoot"
        assert (pod_sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", f"{pod.owner}: seccomp"
        assert pod.spec.get("automountServiceAccountToken") is False, f"{pod.owner}: API token mounted"
        assert pod.spec.get("enableServiceLinks") is False, f"{pod.owner}: service links inject SOCCER_*_PORT"
        assert not pod.spec.get("hostNetwork") and not pod.spec.get("hostPID")
        for container in containers(pod.spec):
            where = f"{pod.owner} {container['name']}"
            sc = container.get("securityContext") or {}
            user = _run_as_user(pod.spec, container)
            assert isinstance(user, int) and user > 0, f"{where}: runAsUser {user}"
            assert sc.get("allowPrivilegeEscalation") is False, f"{where}: allowPrivilegeEscalation"
            assert not sc.get("privileged"), f"{where}: privileged"
            assert (sc.get("capabilities") or {}).get("drop") == ["ALL"], f"{where}: capabilities not dropped"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_labels(rendered: dict[str, Objects], overlay: str) -> None:
    for obj in rendered[overlay]:
        labels = obj["metadata"].get("labels") or {}
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        assert labels.get("app.kubernetes.io/name"), f"{where}: no app.kubernetes.io/name"
        assert labels.get("app.kubernetes.io/part-of") == "soccerpredict", f"{where}: no part-of"
    for pod in pod_templates(rendered[overlay]):
        assert (
            pod.labels.get("app.kubernetes.io/name") and pod.labels.get("app.kubernetes.io/part-of") == "soccerpredict"
        )


# --- agreement with the code --------------------------------------------------------------------------------


def _app_containers(objects: Objects) -> Iterator[tuple[PodTemplate, Obj]]:
    for pod in pod_templates(objects):
        for container in pod.spec["containers"]:
            if container["image"] == pipeline_image():
                yield pod, container


def test_soccer_settings_are_real_settings(rendered: dict[str, Objects]) -> None:
    known = settings_env_names()
    config = find(rendered["prod"], "ConfigMap", APP_NAMESPACE, "soccer-config")
    assert config is not None
    names = set(config["data"])
    for _, container in _app_containers(rendered["prod"]):
        names |= set(env_of(container))
    unknown = sorted(
        n for n in names if (n.startswith("SOCCER_") or n.startswith("MLFLOW_TRACKING")) and n not in known
    )
    assert not unknown, f"not read by soccerpredict.settings.Settings: {unknown}"


def _container(objects: Objects, kind: str, name: str) -> Obj:
    obj = find(objects, kind, APP_NAMESPACE, name)
    assert obj is not None, f"{kind}/{name}"
    spec = obj["spec"]["predictor"] if kind == "InferenceService" else obj["spec"]["template"]["spec"]
    return spec["containers"][0]


def _ports(container: Obj) -> set[int]:
    return {p["containerPort"] for p in container.get("ports") or []}


def test_commands_and_ports_match_the_code(rendered: dict[str, Objects]) -> None:
    objects = rendered["prod"]
    api = _container(objects, "Deployment", "soccer-api")
    assert api["command"] == ["python", "-m", "serving.api"] and (kt.REPO / "serving/api/__main__.py").is_file()
    port = api["args"][api["args"].index("--port") + 1]
    assert api["args"][api["args"].index("--host") + 1] == "0.0.0.0", "loopback would be unreachable in a pod"
    assert int(port) == int(env_of(api)["SOCCER_API_PORT"]["value"]) and int(port) in _ports(api)

    predictor = _container(objects, "InferenceService", "soccer-predictor")
    assert predictor["name"] == "kserve-container"
    assert predictor["command"] == ["python", "-m", "serving.predictor"]
    assert (kt.REPO / "serving/predictor/__main__.py").is_file()
    assert int(env_of(predictor)["SOCCER_PREDICTOR_PORT"]["value"]) == predictor["ports"][0]["containerPort"] == 8080
    assert int(env_of(predictor)["SOCCER_PREDICTOR_GRPC_PORT"]["value"]) in _ports(predictor) == {8080, 8081}
    model = re.search(
        r'MODEL_NAME\s*(?::\s*\w+)?\s*=\s*"([^"]+)"', (kt.REPO / "soccerpredict/artifacts.py").read_text()
    )
    assert model and predictor["readinessProbe"]["httpGet"]["path"] == f"/v2/models/{model.group(1)}/ready"

    source = (kt.REPO / "serving/common/jobs.py").read_text(encoding="utf-8")
    queues = set(re.findall(r'^(?:ML|API)_QUEUE: Final = "(\w+)"', source, re.MULTILINE))
    consumed: set[str] = set()
    for name in ("soccer-worker-ml", "soccer-worker-api"):
        worker = _container(objects, "Deployment", name)
        args = worker["args"]
        assert worker["command"] == ["celery"] and args[args.index("-A") + 1] == "serving.worker"
        assert "--pool=solo" in args, "job counters are served by the worker process itself (serving/worker/metrics.py)"
        consumed |= set(args[args.index("-Q") + 1].split(","))
        assert int(env_of(worker)["SOCCER_WORKER_METRICS_PORT"]["value"]) in _ports(worker)
    assert consumed == queues == {"ml", "api"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_web_ui_serves_streamlit_and_calls_the_facade_with_its_own_key(
    rendered: dict[str, Objects], overlay: str
) -> None:
    objects = rendered[overlay]
    ui = _container(objects, "Deployment", "soccer-ui")
    env = env_of(ui)
    assert ui["command"] == ["python", "-m", "serving.ui"] and ui["image"] == pipeline_image()
    port = int(env["SOCCER_UI_PORT"]["value"])
    assert port == Settings().ui_port and {p["name"]: p["containerPort"] for p in ui["ports"]} == {"http": port}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert ui[probe]["httpGet"] == {"path": "/_stcore/health", "port": "http"}, probe
    # The facade through its Service, on the port the facade listens on.
    url = urlparse(env["SOCCER_UI_API_URL"]["value"])
    name, ns = url.hostname.split(".")[:2]  # type: ignore[union-attr]
    service = find(objects, "Service", ns, name)
    api = _container(objects, "Deployment", "soccer-api")
    assert name == "soccer-api" and service is not None and url.scheme == "http"
    assert url.port in {p["port"] for p in service["spec"]["ports"]} and url.port in _ports(api)
    # Its own key and no other secret, no shared config: the UI holds nothing but the way to the facade.
    secrets = {(e["name"], e["valueFrom"]["secretKeyRef"]["name"]) for e in ui["env"] if "valueFrom" in e}
    assert secrets == {("SOCCER_UI_API_KEY", "soccer-ui-api-key")} and not ui.get("envFrom")
    ingress = find(objects, "Ingress", APP_NAMESPACE, "soccer-ui")
    assert ingress is not None
    (path,) = ingress["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["pathType"], path["backend"]["service"]["name"]) == ("/", "Prefix", "soccer-ui")
    facade = find(objects, "Ingress", APP_NAMESPACE, "soccer-api")
    assert facade is not None and facade["spec"]["rules"][0]["host"] == ingress["spec"]["rules"][0]["host"]


def test_predictor_url_is_kserves_service(rendered: dict[str, Objects]) -> None:
    config = find(rendered["prod"], "ConfigMap", APP_NAMESPACE, "soccer-config")
    assert config is not None
    url = urlparse(config["data"]["SOCCER_PREDICTOR_URL"])
    assert url.hostname == f"soccer-predictor-predictor.{APP_NAMESPACE}.svc.cluster.local" and url.port is None
    isvc = find(rendered["prod"], "InferenceService", APP_NAMESPACE, "soccer-predictor")
    assert isvc is not None
    annotations = isvc["metadata"]["annotations"]
    assert annotations["serving.kserve.io/deploymentMode"] == "Standard"
    assert (
        isvc["spec"]["predictor"]["scaleMetric"] != "cpu" or annotations["serving.kserve.io/autoscalerClass"] == "hpa"
    )


def test_service_urls_resolve_to_services(rendered: dict[str, Objects]) -> None:
    objects = rendered["prod"]
    config = find(objects, "ConfigMap", APP_NAMESPACE, "soccer-config")
    assert config is not None
    for key in ("SOCCER_S3_ENDPOINT", "MLFLOW_TRACKING_URI"):
        url = urlparse(config["data"][key])
        name, ns = url.hostname.split(".")[:2]  # type: ignore[union-attr]
        service = find(objects, "Service", ns, name)
        assert service is not None and url.port in {p["port"] for p in service["spec"]["ports"]}, key
    mlflow = _container(objects, "Deployment", "soccer-mlflow")
    allowed = env_of(mlflow)["MLFLOW_SERVER_ALLOWED_HOSTS"]["value"].split(",")
    host = urlparse(config["data"]["MLFLOW_TRACKING_URI"]).netloc
    assert any(re.fullmatch(pattern.replace(".", r"\.").replace("*", ".*"), host) for pattern in allowed), host


# --- agreement with manifests/prometheus and manifests/grafana -----------------------------------------------


def _load(relative: str) -> Obj:
    return yaml.safe_load((kt.MANIFESTS / relative).read_text(encoding="utf-8"))


def _mount_path(objects: Objects, kind: str, name: str, generator: str) -> str:
    """Where a workload mounts the ConfigMap that configMapGenerator ``generator`` made."""
    obj, config_map = (
        find(objects, kind, APP_NAMESPACE, name),
        kt.generated_config_map(objects, APP_NAMESPACE, generator),
    )
    assert obj is not None and config_map is not None
    spec = obj["spec"]["template"]["spec"]
    hashed = config_map["metadata"]["name"]
    volume = next(v["name"] for v in spec["volumes"] if (v.get("configMap") or {}).get("name") == hashed)
    return next(m["mountPath"] for m in spec["containers"][0]["volumeMounts"] if m["name"] == volume)


def test_prometheus_scrapes_headless_services(rendered: dict[str, Objects]) -> None:
    objects = rendered["prod"]
    config = _load("prometheus/prometheus.yml")
    pods = list(pod_templates(objects))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert {"soccer-api", "soccer-predictor", "soccer-worker"} <= set(jobs)
    for job in jobs.values():
        for sd in job.get("dns_sd_configs") or []:
            for dns_name in sd["names"]:
                name, ns = dns_name.split(".")[:2]
                service = find(objects, "Service", ns, name)
                assert service is not None, f"{job['job_name']}: no Service {ns}/{name}"
                assert service["spec"].get("clusterIP") == "None", f"{name}: must be headless (one target per pod)"
                assert sd["port"] in {p["port"] for p in service["spec"]["ports"]}
                selected = [p for p in pods if selects(service["spec"]["selector"], p.labels)]
                assert all(
                    sd["port"] in {pt["containerPort"] for c in p.spec["containers"] for pt in c.get("ports") or []}
                    for p in selected
                )
    target = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]
    name, port = target.split(":")
    service = find(objects, "Service", APP_NAMESPACE, name)
    assert service is not None and int(port) in {p["port"] for p in service["spec"]["ports"]}
    # rule files are relative to the configuration file: both are keys of the same ConfigMap
    generated = kt.generated_config_map(objects, APP_NAMESPACE, "prometheus-config")
    assert generated is not None and set(config["rule_files"]) <= set(generated["data"])
    assert _mount_path(objects, "StatefulSet", "prometheus", "prometheus-config") == "/etc/prometheus"


def test_alertmanager_reads_its_webhook_files(
    rendered: dict[str, Objects], documented_secrets: dict[tuple[str, str], set[str]]
) -> None:
    objects = rendered["prod"]
    deployment = find(objects, "Deployment", APP_NAMESPACE, "alertmanager")
    assert deployment is not None
    spec = deployment["spec"]["template"]["spec"]
    mounts = {m["name"]: m["mountPath"] for m in spec["containers"][0]["volumeMounts"]}
    secret_volume = next(v for v in spec["volumes"] if "secret" in v)
    secret_dir = mounts[secret_volume["name"]]
    text = (kt.MANIFESTS / "prometheus/alertmanager.yml").read_text(encoding="utf-8")
    files = re.findall(r"_file:\s*(\S+)", text)
    assert files
    for file in files:
        directory, _, key = file.rpartition("/")
        assert directory == secret_dir, f"{file} is not in the mounted Secret ({secret_dir})"
        assert key in documented_secrets[(APP_NAMESPACE, secret_volume["secret"]["secretName"])]
    config_dir = mounts[next(v["name"] for v in spec["volumes"] if "configMap" in v)]
    assert f"--config.file={config_dir}/alertmanager.yml" in spec["containers"][0]["args"]


def test_grafana_provisioning_matches_the_deployment(rendered: dict[str, Objects]) -> None:
    objects = rendered["prod"]
    datasources = _load("grafana/provisioning/datasources/prometheus.yml")["datasources"]
    for source in datasources:
        url = urlparse(source["url"])
        service = find(objects, "Service", APP_NAMESPACE, url.hostname or "")
        assert service is not None and url.port in {p["port"] for p in service["spec"]["ports"]}
    providers = _load("grafana/provisioning/dashboards/soccerpredict.yml")["providers"]
    dashboards_path = _mount_path(objects, "Deployment", "grafana", "grafana-dashboards")
    assert {p["options"]["path"] for p in providers} == {dashboards_path}
    assert (
        _mount_path(objects, "Deployment", "grafana", "grafana-datasources") == "/etc/grafana/provisioning/datasources"
    )
    assert _mount_path(objects, "Deployment", "grafana", "grafana-dashboard-providers") == (
        "/etc/grafana/provisioning/dashboards"
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_python_dash_m_runs_a_module_of_this_source(rendered: dict[str, Objects], overlay: str) -> None:
    """A manifest's ``python -m X`` names a package of the repository with a ``__main__`` (or a module of it)."""
    started: set[str] = set()
    for template in pod_templates(rendered[overlay]):
        for container in containers(template.spec):
            line = [*(container.get("command") or []), *(container.get("args") or [])]
            if line[:2] == ["python", "-m"]:
                started.add(line[2])
    own = {m for m in started if m.split(".")[0] in {"serving", "soccerpredict", "components", "pipelines"}}
    assert {"serving.api", "serving.ui", "serving.predictor"} <= own, sorted(started)
    for module in sorted(own):
        path = kt.REPO.joinpath(*module.split("."))
        assert (path / "__main__.py").is_file() or path.with_suffix(".py").is_file(), f"python -m {module}: no module"
