"""The kustomize tree: well-formed, rendered by kustomize, and what the overlays change."""

from __future__ import annotations

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
    """kustomize has no globs: each dashboard and provisioning file must be listed in the base's generators."""
    generated = {p.resolve() for kust in kt.walk(kt.BASE) for p in kust.generator_files}
    expected = {p.resolve() for p in (kt.MANIFESTS / "grafana").rglob("*") if p.is_file()}
    expected |= {kt.MANIFESTS / "prometheus" / n for n in ("prometheus.yml", "alerts.yml", "alertmanager.yml")}
    missing = sorted(str(p.relative_to(kt.REPO)) for p in expected - generated)
    assert not missing, f"add these to configMapGenerator in manifests/base/kustomization.yaml: {missing}"


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
    monkeypatch.setattr(kt, "SHARED_CONFIG_DIRS", (tmp_path / "manifests" / "shared",))
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
    assert any("outside the folder" in p for p in problems)
