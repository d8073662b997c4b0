"""The project image's name and tag: the one place the compiled pipeline, the manifests and `make image` read.

The tag is ``<project version>-<source digest>``: the first 12 hex digits of a SHA-256 over every file the
image is built from (the Dockerfiles, and the build context that ``.dockerignore`` lets through, less the
compiled pipeline, which names the image and so cannot be part of it). Files committed beside the code (the
compiled pipeline, the kustomize ``images:`` pin, the Airflow values) can name the image their own commit
builds, which a git commit hash cannot (a commit cannot contain its own hash); the commit itself goes into the image's
``org.opencontainers.image.revision`` label and names the pipeline version CI uploads.

``python -m soccerpredict.image`` prints the reference (``--tag``, ``--repository``, ``--airflow``): the
Makefile and CI call it. ``--pin`` rewrites the tag in the files that name it (:data:`PINS`; ``make pin`` also
recompiles the pipeline). Only the standard library is imported, so it costs milliseconds.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

__all__ = [
    "AIRFLOW_REPOSITORY",
    "IMAGE_INPUTS",
    "REPOSITORY",
    "airflow_reference",
    "image_reference",
    "image_tag",
    "pin",
    "source_digest",
    "stale_pins",
]

REPO = Path(__file__).resolve().parents[1]

#: Where the images are pushed; ``SOCCER_IMAGE_REGISTRY`` (e.g. ``registry.example.com/team``) prefixes both.
REPOSITORY = "soccerpredict/soccerpredict"
AIRFLOW_REPOSITORY = "soccerpredict/airflow"

#: The build context of docker/*.Dockerfile, as .dockerignore's allow-list (a test keeps the two equal).
IMAGE_INPUTS: tuple[str, ...] = (
    "pyproject.toml",
    "uv.lock",
    "README.md",
    "params.yaml",
    "dvc.yaml",
    "soccerpredict",
    "components",
    "pipelines",
    "serving",
    "conf",
    "airflow/dags",
    "airflow/requirements.lock",
    "data/sample",
    "docker/healthcheck.py",
)

#: Outside the build context but part of what the images are: the Dockerfiles (docker build -f sends them apart).
RECIPES: tuple[str, ...] = ("docker/app.Dockerfile", "docker/airflow.Dockerfile")

#: Inside the context but not part of the digest: the compiled pipeline names the image (see the docstring).
_NOT_HASHED = frozenset({"pipelines/soccer_1x2.yaml"})
_SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


def _files(root: Path) -> Iterator[Path]:
    for entry in (*IMAGE_INPUTS, *RECIPES):
        path = root / entry
        if path.is_file():
            yield path
        elif path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not (_SKIPPED_PARTS & set(child.parts)) and child.suffix != ".pyc":
                    yield child


def source_digest(root: Path = REPO) -> str:
    """SHA-256 (hex) over the relative path and bytes of every file the image is built from."""
    digest = hashlib.sha256()
    for path in sorted(_files(root), key=lambda p: p.relative_to(root).as_posix()):
        rel = path.relative_to(root).as_posix()
        if rel in _NOT_HASHED:
            continue
        digest.update(rel.encode() + b"\0" + hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _version(root: Path) -> str:
    try:
        import tomllib

        return str(tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"])
    except (OSError, KeyError):
        return metadata.version("soccerpredict")


def image_tag(root: Path = REPO) -> str:
    """``<version>-<first 12 hex digits of the source digest>``, e.g. ``0.1.0-3f2a9c1d0b7e``."""
    return f"{_version(root)}-{source_digest(root)[:12]}"


def _registry_prefix() -> str:
    registry = os.environ.get("SOCCER_IMAGE_REGISTRY", "").strip().rstrip("/")
    return f"{registry}/" if registry else ""


def image_reference(root: Path = REPO) -> str:
    """The project image built from this source: what every KFP component and Deployment runs."""
    return f"{_registry_prefix()}{REPOSITORY}:{image_tag(root)}"


def airflow_reference(root: Path = REPO) -> str:
    """The Airflow image built from this source (same tag as the project image)."""
    return f"{_registry_prefix()}{AIRFLOW_REPOSITORY}:{image_tag(root)}"


#: Files that name the image's tag, each with the pattern of its tag line (group 1: the text before the tag).
PINS: dict[str, re.Pattern[str]] = {
    "manifests/base/kustomization.yaml": re.compile(
        r'(- name: soccerpredict/soccerpredict\n\s+newTag: )"[^"\n]*"', re.MULTILINE
    ),
    "manifests/base/airflow/values.yaml": re.compile(r'^((?:defaultAirflowTag: |    tag: ))"[^"\n]*"', re.MULTILINE),
}


def _pinned(root: Path, rel: str, tag: str) -> tuple[str, str]:
    text = (root / rel).read_text()
    new, count = PINS[rel].subn(lambda m: f'{m.group(1)}"{tag}"', text)
    if count == 0:
        raise ValueError(f"{rel}: no image tag line found (pattern {PINS[rel].pattern!r})")
    return text, new


def stale_pins(root: Path = REPO) -> list[str]:
    """The files of :data:`PINS` whose image tag is not :func:`image_tag` (``make pin`` rewrites them)."""
    tag = image_tag(root)
    return [rel for rel in PINS if len(set(_pinned(root, rel, tag))) > 1]


def pin(root: Path = REPO) -> list[str]:
    """Rewrite the image tag in every file of :data:`PINS`; returns the files that changed."""
    tag = image_tag(root)
    changed = []
    for rel in PINS:
        old, new = _pinned(root, rel, tag)
        if old != new:
            (root / rel).write_text(new)
            changed.append(rel)
    return changed


def _pin_command() -> str:
    changed = pin()
    return f"pinned {image_tag()} in {', '.join(changed)}" if changed else f"pins are current ({image_tag()})"


def main(argv: list[str] | None = None) -> int:
    """Print the image reference, or one part of it (``--tag``, ``--repository``, ``--airflow``)."""
    args = sys.argv[1:] if argv is None else argv
    choices: dict[str, Callable[[], str]] = {
        "": image_reference,
        "--tag": image_tag,
        "--airflow": airflow_reference,
        "--repository": lambda: f"{_registry_prefix()}{REPOSITORY}",
        "--digest": source_digest,
        "--pin": _pin_command,
    }
    flag = args[0] if args else ""
    if flag not in choices or len(args) > 1:
        print(f"usage: python -m soccerpredict.image [{' | '.join(k for k in choices if k)}]", file=sys.stderr)
        return 2
    print(choices[flag]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
