"""The kustomize tree: well-formed, rendered by kustomize, and what the overlays change."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import kustomize_tree as kt
import pytest
import yaml

Objects = list[dict[str, Any]]


def by_kind(objects: Objects, kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects if o["kind"] == kind}


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_tree_has_no_problems(overlay: str) -> None:
    assert kt.tree_problems(kt.OVERLAYS[overlay]) == []


@pytest.mark.parametrize("overlay", sorted(kt.OVERLAYS))
def test_python_render_equals_kustomize(overlay: str) -> None:
    """The fallback renderer gives exactly kustomize's objects, so the other tests mean the same without it."""
    entry = kt.OVERLAYS[overlay]
    real = kt.render_kustomize(entry)
    if real is None:
        pytest.skip("neither kustomize nor kubectl is installed: only the Python render was checked")
    real = kt.strip_name_hashes(real, kt.generator_names(entry))
    ours = kt.render_python(entry)
    real_by_key = {kt.object_key(o): o for o in real}
    ours_by_key = {kt.object_key(o): o for o in ours}
    assert sorted(real_by_key) == sorted(ours_by_key)
    different = [key for key in real_by_key if real_by_key[key] != ours_by_key[key]]
    assert not different, f"objects the Python render gets wrong: {different}"


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
def test_kubectl_kustomize_renders_with_default_load_restrictor(overlay: str) -> None:
    """``kubectl kustomize <overlay>`` without ``--load-restrictor``, as ``kubectl apply -k`` renders it, works.

    Every ConfigMap a workload mounts is in the render under its hashed generated name.
    """
    command = kt.kubectl_kustomize_command()
    if command is None:
        pytest.skip("kubectl with kustomize v5 is not installed: the default load restrictor was not tried")
    entry = kt.OVERLAYS[overlay]
    done = subprocess.run([*command, str(entry)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{' '.join(command)} {entry.relative_to(kt.REPO)} failed:\n{done.stderr}"
    objects = [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]
    config_maps = {(o["metadata"].get("namespace"), o["metadata"]["name"]) for o in objects if o["kind"] == "ConfigMap"}
    generated = kt.generator_names(entry)
    hashed = {name for _, name in config_maps if name.rsplit("-", 1)[0] in generated}
    assert {name.rsplit("-", 1)[0] for name in hashed} == generated, "a generated ConfigMap is missing"
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
    assert set(pdbs) == {"soccer-api", "soccer-predictor", "soccer-worker-ml", "soccer-worker-api"}
    ingress = by_kind(objects, "Ingress")
    assert set(ingress) == {"soccer-api"}, "only the facade is public in prod"
    assert ingress["soccer-api"]["spec"]["tls"][0]["hosts"] == [ingress["soccer-api"]["spec"]["rules"][0]["host"]]
    assert by_kind(objects, "ExternalSecret")


# --- the checker itself finds what it is for ------------------------------------------------------------------


def _tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(kt, "REPO", tmp_path)
    monkeypatch.setattr(kt, "MANIFESTS", tmp_path / "manifests")
    return tmp_path / "manifests"


CM = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: one\n  namespace: ns\n"


def test_checker_reports_missing_files_and_unmatched_patches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(
        tmp_path,
        monkeypatch,
        {
            "manifests/base/kustomization.yaml": "resources: [cm.yaml, gone.yaml]\n",
            "manifests/base/cm.yaml": CM,
            "manifests/overlay/kustomization.yaml": (
                "resources: [../base]\npatches:\n  - path: p.yaml\n"
                "  - target: {kind: Deployment, name: nope}\n    patch: '[]'\n"
            ),
            "manifests/overlay/p.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: other\n  namespace: ns\n",
        },
    )
    problems = kt.tree_problems(root / "overlay")
    assert any("gone.yaml does not exist" in p for p in problems)
    assert sum("matches no object" in p for p in problems) == 2


def test_checker_reports_cycles_and_files_outside(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _tree(
        tmp_path,
        monkeypatch,
        {
            "manifests/kustomization.yaml": (
                "resources: [cm.yaml]\nconfigMapGenerator:\n  - name: g\n    files: [../outside.txt]\n"
            ),
            "manifests/cm.yaml": CM,
            "manifests/overlay/kustomization.yaml": "resources: [..]\n",
            "outside.txt": "x",
        },
    )
    problems = kt.tree_problems(root / "overlay")
    assert any("cycle" in p for p in problems)
    assert any("outside.txt is outside the kustomization's folder" in p for p in problems)


def test_checker_reports_generator_files_beside_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Inside manifests/ but outside the base's folder: the default load restrictor refuses it, so does the checker.
    # The same file generated by a kustomization of its own folder, listed as a resource folder, is fine.
    beside = "configMapGenerator:\n  - name: g\n    namespace: ns\n    files: [../shared/x.txt]\n"
    files = {
        "manifests/base/kustomization.yaml": "resources: [cm.yaml]\n" + beside,
        "manifests/base/cm.yaml": CM,
        "manifests/shared/x.txt": "x",
    }
    root = _tree(tmp_path, monkeypatch, files)
    problems = kt.tree_problems(root / "base")
    assert any("x.txt is outside the kustomization's folder" in p for p in problems)
    (root / "base" / "kustomization.yaml").write_text("resources: [cm.yaml, ../shared]\n")
    (root / "shared" / "kustomization.yaml").write_text(beside.replace("../shared/", ""))
    assert kt.tree_problems(root / "base") == []
    assert kt.render_python(root / "base")[-1] == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "g", "namespace": "ns"},
        "data": {"x.txt": "x"},
    }
