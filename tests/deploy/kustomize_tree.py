"""The kustomize tree of ``manifests/``: resolve it, check it and render it, with or without kustomize.

Three things, used by the deploy tests:

- :func:`tree_problems`: what kustomize would refuse or silently get wrong, checked without kustomize: every
  resource, patch and generator file exists; nothing is read from outside ``manifests/``; no file (resource,
  patch, generator input) is read from outside its kustomization's own folder, which is kustomize's default load
  restrictor (only resource *folders*, i.e. other kustomizations, may sit elsewhere); no base contains the folder
  that refers to it (kustomize's cycle rule); every patch matches an object of the resources it patches.
- :func:`render_kustomize`: the real render (``kustomize build`` or ``kubectl kustomize``) with kustomize's
  default load restrictor, or None when neither tool is installed.
- :func:`render_python`: a small renderer of the subset of kustomize this tree uses (resources, configMapGenerator
  without the name hash, strategic-merge patches merging lists by ``name``, JSON 6902 ``add``/``replace``/``remove``
  patches, regex targets). The tests compare it with the real render when kustomize is there, and use it when not.
"""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
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


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


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


def _patch_documents(kust: Kustomization, patch: Obj) -> list[Any]:
    if "path" in patch:
        return load_documents(kust.root / str(patch["path"]))
    return [doc for doc in yaml.safe_load_all(str(patch.get("patch", ""))) if doc is not None]


def _is_json6902(docs: list[Any]) -> bool:
    return len(docs) == 1 and isinstance(docs[0], list)


def _matches(target: Obj, obj: Obj) -> bool:
    group, kind, namespace, name = object_key(obj)
    version = str(obj.get("apiVersion", "")).rsplit("/", 1)[-1]
    checks = {"group": group, "version": version, "kind": kind, "namespace": namespace, "name": name}
    for field, actual in checks.items():
        wanted = target.get(field)
        if wanted is not None and not re.fullmatch(str(wanted), actual):
            return False
    return True


def _patch_targets(kust: Kustomization, patch: Obj) -> list[Obj]:
    """The selectors a patch applies to: its ``target``, or each strategic-merge document's own identity."""
    if "target" in patch:
        return [dict(patch["target"])]
    targets = []
    for doc in _patch_documents(kust, patch):
        group, kind, namespace, name = object_key(doc)
        target = {"kind": re.escape(kind), "name": re.escape(name)}
        if namespace:
            target["namespace"] = re.escape(namespace)
        if group:
            target["group"] = re.escape(group)
        targets.append(target)
    return targets


def tree_problems(entry: Path) -> list[str]:
    """Everything wrong with the kustomization tree below ``entry`` that kustomize would refuse or mishandle."""
    problems: list[str] = []
    _check(Kustomization.load(entry), [], problems)
    return problems


def _check(kust: Kustomization, referrers: list[Path], problems: list[str]) -> list[Obj]:
    """Check one kustomization and those it includes; return the objects its resources declare (unpatched)."""
    where = kust.root.relative_to(REPO)
    for referrer in referrers:
        if referrer.is_relative_to(kust.root):
            problems.append(f"{where}: contains {referrer.relative_to(REPO)}, which includes it (kustomize: cycle)")
    objects: list[Obj] = []
    for resource in kust.resources:
        if not resource.exists():
            problems.append(f"{where}: resource {resource} does not exist")
        elif not _inside(resource, MANIFESTS):
            problems.append(f"{where}: resource {resource} is outside manifests/")
        elif resource.is_dir():
            if kustomization_file(resource) is None:
                problems.append(f"{where}: resource folder {resource} has no kustomization.yaml")
            else:
                objects += _check(Kustomization.load(resource), [*referrers, kust.root], problems)
        elif not _inside(resource, kust.root):
            problems.append(f"{where}: resource file {resource} is outside the kustomization's folder")
        else:
            objects += load_documents(resource)
    for file in kust.generator_files:
        if not file.is_file():
            problems.append(f"{where}: generator file {file} does not exist")
        elif not _inside(file, kust.root):
            problems.append(
                f"{where}: generator file {file} is outside the kustomization's folder "
                "(the default load restrictor refuses it; generate it in a kustomization beside the file)"
            )
    for patch in kust.patches:
        if "path" in patch:
            file = kust.root / str(patch["path"])
            if not file.is_file():
                problems.append(f"{where}: patch file {file} does not exist")
                continue
            if not _inside(file, kust.root):
                problems.append(f"{where}: patch file {file} is outside the kustomization's folder")
        for target in _patch_targets(kust, patch):
            if not any(_matches(target, obj) for obj in objects):
                problems.append(f"{where}: patch {patch.get('path', '(inline)')} matches no object: {target}")
    for field in ("patchesStrategicMerge", "patchesJson6902", "commonLabels", "bases", "vars"):
        if field in kust.data:
            problems.append(f"{where}: deprecated field {field} (use patches / labels / resources)")
    return objects


# --- rendering ------------------------------------------------------------------------------------------------


def _kustomize_major(command: list[str]) -> int:
    """Major version of kustomize reported by ``command`` (0 when it cannot tell)."""
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return 0
    found = re.search(r'(?:kustomizeVersion"?:\s*"?|^)v?(\d+)\.\d+', done.stdout, re.MULTILINE)
    return int(found.group(1)) if found else 0


def kustomize_command() -> list[str] | None:
    """The command that renders a kustomization (default load restrictor), or None without a kustomize v5.

    kubectl embeds kustomize (v5 since kubectl 1.27); Debian's kubernetes-client 1.20 embeds v2, which knows
    no ``patches``, so it counts as absent.
    """
    if shutil.which("kustomize") and _kustomize_major(["kustomize", "version"]) >= 5:
        return ["kustomize", "build"]
    return kubectl_kustomize_command()


def kubectl_kustomize_command() -> list[str] | None:
    """``kubectl kustomize`` (what ``kubectl apply -k`` renders with), or None without a kubectl embedding v5."""
    if shutil.which("kubectl") and _kustomize_major(["kubectl", "version", "--client", "-o", "json"]) >= 5:
        return ["kubectl", "kustomize"]
    return None


def render_kustomize(entry: Path) -> list[Obj] | None:
    """The objects kustomize renders for ``entry``, or None when no kustomize is installed."""
    command = kustomize_command()
    if command is None:
        return None
    done = subprocess.run([*command, str(entry)], capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} {entry} failed:\n{done.stderr}")
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc is not None]


def render_python(entry: Path) -> list[Obj]:
    """Render ``entry`` with this module's kustomize subset (generated ConfigMaps keep their plain names)."""
    return _render(Kustomization.load(entry))


def _render(kust: Kustomization) -> list[Obj]:
    objects: list[Obj] = []
    for resource in kust.resources:
        if resource.is_dir():
            objects += _render(Kustomization.load(resource))
        else:
            objects += copy.deepcopy(load_documents(resource))
    for generator in kust.data.get("configMapGenerator") or []:
        objects.append(_generated_config_map(kust, generator))
    for patch in kust.patches:
        docs = _patch_documents(kust, patch)
        targets = _patch_targets(kust, patch)
        for obj in objects:
            if not any(_matches(target, obj) for target in targets):
                continue
            if _is_json6902(docs):
                _apply_json6902(obj, docs[0])
            else:
                for doc in docs:
                    if object_key(doc)[1:] == object_key(obj)[1:] or "target" in patch:
                        _strategic_merge(obj, doc)
    return objects


def _generated_config_map(kust: Kustomization, generator: Obj) -> Obj:
    data: dict[str, str] = {}
    for entry in generator.get("files") or []:
        key, _, source = str(entry).rpartition("=")
        path = kust.root / source
        data[key or path.name] = path.read_text(encoding="utf-8")
    metadata: Obj = {"name": generator["name"]}
    if generator.get("namespace"):
        metadata["namespace"] = generator["namespace"]
    options = generator.get("options") or {}
    if options.get("labels"):
        metadata["labels"] = dict(options["labels"])
    if options.get("annotations"):
        metadata["annotations"] = dict(options["annotations"])
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}


def _strategic_merge(target: Any, patch: Any) -> Any:
    """Merge ``patch`` into ``target`` in place: maps recursively, lists of named maps by name, other lists replaced."""
    if isinstance(target, dict) and isinstance(patch, dict):
        for key, value in patch.items():
            if value is None:
                target.pop(key, None)
            elif key in target:
                target[key] = _strategic_merge(target[key], value)
            else:
                target[key] = copy.deepcopy(value)
        return target
    if isinstance(target, list) and isinstance(patch, list) and _named(target) and _named(patch):
        by_name = {item["name"]: item for item in target}
        for item in patch:
            if item["name"] in by_name:
                _strategic_merge(by_name[item["name"]], item)
            else:
                target.append(copy.deepcopy(item))
        return target
    return copy.deepcopy(patch)


def _named(items: list[Any]) -> bool:
    return all(isinstance(item, dict) and "name" in item for item in items)


def _pointer(path: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in path.split("/")[1:]]


def _apply_json6902(obj: Obj, operations: list[Obj]) -> None:
    for operation in operations:
        *parents, last = _pointer(str(operation["path"]))
        node: Any = obj
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        op = operation["op"]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if op == "add":
                node.insert(index, copy.deepcopy(operation["value"]))
            elif op == "replace":
                node[index] = copy.deepcopy(operation["value"])
            elif op == "remove":
                del node[index]
            else:
                raise ValueError(f"JSON patch op {op} is not supported here")
        elif op in ("add", "replace"):
            if op == "replace" and last not in node:
                raise KeyError(f"replace of a missing path {operation['path']}")
            node[last] = copy.deepcopy(operation["value"])
        elif op == "remove":
            del node[last]
        else:
            raise ValueError(f"JSON patch op {op} is not supported here")


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


def strip_name_hashes(objects: list[Obj], generated: set[str]) -> list[Obj]:
    """A copy of kustomize's output where every ``<generated>-<hash>`` string is the plain generated name."""
    pattern = re.compile(r"^(" + "|".join(re.escape(name) for name in sorted(generated)) + r")-[a-z0-9]{10}$")

    def strip(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: strip(value) for key, value in node.items()}
        if isinstance(node, list):
            return [strip(item) for item in node]
        if isinstance(node, str) and generated:
            return pattern.sub(r"\1", node)
        return node

    return [strip(obj) for obj in objects]
