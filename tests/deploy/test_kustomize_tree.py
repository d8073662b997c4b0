"""The kustomize tree: rendered by the real kustomize (which refuses broken trees by itself: shown below on some),
free of what kustomize lets pass, and what the overlays change."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kustomize_tree as kt
import pytest

Objects = list[dict[str, Any]]


def by_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_tree_has_no_problems(overlay: str) -> None:
    assert kt.tree_problems(kt.OVERLAYS[overlay]) == []


def test_kubectl_is_the_venvs_with_kustomize_5() -> None:
    done = subprocess.run([str(kt.KUBECTL), "version", "--client"], capture_output=True, text=True, check=True)
    assert "Kustomize Version: v5." in done.stdout, done.stdout


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_kustomize_renders_without_warnings(renders: dict[str, kt.Render], overlay: str) -> None:
    """kustomize warns on stderr about deprecated fields (commonLabels, patchesStrategicMerge, bases, ...)."""
    assert renders[overlay].warnings == ""


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_object_identities_are_unique(rendered: dict[str, Objects], overlay: str) -> None:
    keys = [kt.object_key(o) for o in rendered[overlay]]
    assert len(keys) == len(set(keys))


def test_every_monitoring_file_is_generated() -> None:
    """kustomize has no globs: each dashboard and provisioning file must be listed in a generator of its folder."""
    generated = {p.resolve() for kust in kt.walk(kt.BASE) for p in kust.generator_files}
    expected = {
        p.resolve()
        for p in (kt.MANIFESTS / "grafana").rglob("*")
        if p.is_file() and p.name not in kt.KUSTOMIZATION_FILES
    }
    expected |= {kt.MANIFESTS / "prometheus" / n for n in ("prometheus.yml", "alerts.yml", "alertmanager.yml")}
    missing = sorted(str(p.relative_to(kt.REPO)) for p in expected - generated)
    assert not missing, f"add these to configMapGenerator in the kustomization.yaml of their folder: {missing}"


def test_base_includes_the_monitoring_kustomizations() -> None:
    """The monitoring ConfigMaps are generated beside their files and reach the overlays through the base."""
    resources = {p.resolve() for p in kt.Kustomization.load(kt.BASE).resources}
    for folder in kt.MONITORING_KUSTOMIZATIONS:
        assert kt.kustomization_file(folder) is not None, f"{folder} has no kustomization.yaml"
        assert folder.resolve() in resources, f"manifests/base/kustomization.yaml does not list {folder}"


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_generated_config_maps_are_mounted_by_their_hashed_names(rendered: dict[str, Objects], overlay: str) -> None:
    """Every generated ConfigMap is in the render under its hashed name, and the workloads mount that name."""
    objects = rendered[overlay]
    config_maps = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects if o["kind"] == "ConfigMap"}
    generated = kt.generator_names(kt.OVERLAYS[overlay])
    for name in generated:
        assert any(kt.generated_config_map(objects, ns, name) for ns, _ in config_maps), f"{name} is missing"
    mounted = 0
    for obj in objects:
        if obj["kind"] not in ("Deployment", "StatefulSet"):
            continue
        for volume in obj["spec"]["template"]["spec"].get("volumes") or []:
            if "configMap" in volume:
                mounted += 1
                name = volume["configMap"]["name"]
                where = f"{obj['kind']} {obj['metadata']['name']}"
                assert (obj["metadata"].get("namespace"), name) in config_maps, f"{where} mounts missing {name}"
                assert name not in generated, f"{where} mounts {name} without its hash: the reference was not rewritten"
    assert mounted, "no workload mounts a ConfigMap: the check above checked nothing"


def test_generated_config_maps_fit_client_side_apply(rendered: dict[str, Objects]) -> None:
    # kubectl apply (client side) keeps a copy in an annotation limited to 256 KiB.
    for overlay, objects in rendered.items():
        for cm in by_kind(objects, "ConfigMap").values():
            size = sum(len(v.encode()) for v in (cm.get("data") or {}).values())
            assert size < 250_000, f"{overlay}: ConfigMap {cm['metadata']['name']} is {size} bytes"


def test_local_overlay_is_small(rendered: dict[str, Objects]) -> None:
    objects = rendered["local"]
    for name, hpa in by_kind(objects, "HorizontalPodAutoscaler").items():
        assert hpa["spec"]["minReplicas"] == 1 and hpa["spec"]["maxReplicas"] <= 2, name
    for kind in ("Deployment", "StatefulSet"):
        for name, obj in by_kind(objects, kind).items():
            assert obj["spec"].get("replicas", 1) == 1, f"{kind} {name}"
    predictor = by_kind(objects, "InferenceService")["soccer-predictor"]["spec"]["predictor"]
    assert predictor["minReplicas"] == predictor["maxReplicas"] == 1
    hosts = {rule["host"] for ing in by_kind(objects, "Ingress").values() for rule in ing["spec"]["rules"]}
    assert hosts == {
        "soccerpredict.localtest.me",
        "grafana.soccerpredict.localtest.me",
        "mlflow.soccerpredict.localtest.me",
    }
    assert by_kind(objects, "Service")["soccer-api-nodeport"]["spec"]["type"] == "NodePort"
    assert not by_kind(objects, "ExternalSecret") and not by_kind(objects, "PodDisruptionBudget")


def test_prod_overlay_scales_and_protects(rendered: dict[str, Objects]) -> None:
    objects = rendered["prod"]
    hpas = by_kind(objects, "HorizontalPodAutoscaler")
    assert hpas["soccer-api"]["spec"]["minReplicas"] >= 3
    assert hpas["soccer-worker-ml"]["spec"]["minReplicas"] >= 2
    predictor = by_kind(objects, "InferenceService")["soccer-predictor"]["spec"]["predictor"]
    assert predictor["minReplicas"] >= 2
    # Every scaled workload has a PodDisruptionBudget selecting its pods.
    pdbs = by_kind(objects, "PodDisruptionBudget")
    assert set(pdbs) == {"soccer-api", "soccer-predictor", "soccer-worker-ml", "soccer-worker-api", "soccer-ui"}
    assert by_kind(objects, "Deployment")["soccer-ui"]["spec"]["replicas"] >= 2
    ingress = by_kind(objects, "Ingress")
    assert set(ingress) == {"soccer-api", "soccer-ui"}, "only the facade and the web UI are public in prod"
    api, ui = ingress["soccer-api"], ingress["soccer-ui"]
    assert api["spec"]["tls"][0]["hosts"] == [api["spec"]["rules"][0]["host"]]
    # The UI shares the facade's host and its certificate; one Certificate (cert-manager) per Secret.
    assert ui["spec"]["rules"][0]["host"] == api["spec"]["rules"][0]["host"]
    assert ui["spec"]["tls"] == api["spec"]["tls"]
    assert "cert-manager.io/cluster-issuer" not in ui["metadata"]["annotations"]
    # A Streamlit session lives in one pod: with two replicas each browser must come back to its own.
    assert ui["metadata"]["annotations"]["nginx.ingress.kubernetes.io/affinity"] == "cookie"
    assert by_kind(objects, "ExternalSecret")


# --- what kustomize refuses by itself, and what the checker adds ----------------------------------------------


def _tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(kt, "REPO", tmp_path)
    monkeypatch.setattr(kt, "MANIFESTS", tmp_path / "manifests")
    return tmp_path / "manifests"


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: ns\ndata:\n  a: b\n"
BASE_TREE = {"manifests/base/kustomization.yaml": "resources: [cm.yaml]\n", "manifests/base/cm.yaml": CM}
OTHER_CM = CM.replace("name: one", "name: other")

BROKEN_TREES: dict[str, tuple[dict[str, str], str, str]] = {
    "missing resource": (
        {"manifests/base/kustomization.yaml": "resources: [cm.yaml, gone.yaml]\n"},
        "base",
        "no such file",
    ),
    "resource file outside its folder": (
        {"manifests/overlay/kustomization.yaml": "resources: [../base/cm.yaml]\n"},
        "overlay",
        "is not in or below",
    ),
    "generator file outside its folder": (
        {
            "manifests/overlay/kustomization.yaml": (
                "resources: [../base]\nconfigMapGenerator:\n  - name: g\n    files: [../shared/x.txt]\n"
            ),
            "manifests/shared/x.txt": "x",
        },
        "overlay",
        "is not in or below",
    ),
    "a base containing its referrer": (
        {"manifests/base/overlay/kustomization.yaml": "resources: [..]\n"},
        "base/overlay",
        "cycle detected",
    ),
    "resource folder without a kustomization": (
        {"manifests/overlay/kustomization.yaml": "resources: [../plain]\n", "manifests/plain/cm.yaml": CM},
        "overlay",
        "unable to find one of 'kustomization.yaml'",
    ),
    "missing patch file": (
        {"manifests/overlay/kustomization.yaml": "resources: [../base]\npatches:\n  - path: gone.yaml\n"},
        "overlay",
        "no such file",
    ),
    "patch file outside its folder": (
        {
            "manifests/overlay/kustomization.yaml": "resources: [../base]\npatches:\n  - path: ../base/p.yaml\n",
            "manifests/base/p.yaml": CM,
        },
        "overlay",
        "is not in or below",
    ),
    "strategic-merge patch matching nothing": (
        {
            "manifests/overlay/kustomization.yaml": "resources: [../base]\npatches:\n  - path: p.yaml\n",
            "manifests/overlay/p.yaml": OTHER_CM,
        },
        "overlay",
        "no resource matches strategic merge patch",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_TREES))
def test_kustomize_refuses_a_broken_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    """What the hand-written tree checks used to find: the real kustomize refuses it, so the render fails."""
    files, entry, message = BROKEN_TREES[case]
    root = _tree(tmp_path, monkeypatch, {**BASE_TREE, **files})
    with pytest.raises(kt.KustomizeError, match=message):
        kt.render(root / entry)


def test_kustomize_warns_about_deprecated_fields(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"manifests/base/kustomization.yaml": "resources: [cm.yaml]\ncommonLabels: {a: b}\n"}
    root = _tree(tmp_path, monkeypatch, {**BASE_TREE, **files})
    assert "'commonLabels' is deprecated" in kt.render(root / "base").warnings


def test_checker_reports_targets_that_match_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """kustomize skips a patch whose target matches no object without a word: the checker does not."""
    replace = '    patch: |-\n      [{"op": "replace", "path": "/data/a", "value": "c"}]\n'
    overlay = (
        "resources: [../base]\npatches:\n"
        f"  - target: {{kind: ConfigMap, name: one}}\n{replace}"
        f"  - target: {{kind: ConfigMap, name: nope}}\n{replace}"
        f'  - target: {{kind: Deployment, name: "(one|two)"}}\n{replace}'
    )
    root = _tree(tmp_path, monkeypatch, {**BASE_TREE, "manifests/overlay/kustomization.yaml": overlay})
    assert kt.render(root / "overlay").warnings == ""
    problems = kt.tree_problems(root / "overlay")
    assert len(problems) == 2 and all(p.endswith("matches no object") for p in problems), problems
    assert "nope" in problems[0] and "Deployment" in problems[1]


def test_checker_reports_resource_folders_outside_manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "manifests/overlay/kustomization.yaml": "resources: [../../elsewhere]\n",
        "elsewhere/kustomization.yaml": "resources: [cm.yaml]\n",
        "elsewhere/cm.yaml": CM,
    }
    root = _tree(tmp_path, monkeypatch, files)
    assert kt.render(root / "overlay").objects, "kustomize renders it"
    problems = kt.tree_problems(root / "overlay")
    assert any("outside manifests/" in p for p in problems), problems
