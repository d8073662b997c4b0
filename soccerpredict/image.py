"""The project image's name and tag: the one place the compiled pipeline, the manifests and `make image` read.

The tag is ``<project version>-<source digest>``: the first 12 hex digits of a SHA-256 over every file the
image is built from (the build context that ``.dockerignore`` lets through, less the compiled pipeline, which
names the image and so cannot be part of it). Files committed beside the code (the compiled pipeline, the
kustomize ``images:`` pin, the Airflow values) can name the image their own commit builds, which a git commit
hash cannot (a commit cannot contain its own hash); the commit itself goes into the image's
``org.opencontainers.image.revision`` label and names the pipeline version CI uploads.

``python -m soccerpredict.image`` prints the reference (``--tag``, ``--repository``, ``--airflow``): the
Makefile and CI call it. Only the standard library is imported, so it costs milliseconds.
"""

from __future__ import annotations

import hashlib
import os
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
    "source_digest",
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
    "data/sample",
    "docker/healthcheck.py",
)

#: Inside the context but not part of the digest: the compiled pipeline names the image (see the docstring).
_NOT_HASHED = frozenset({"pipelines/soccer_1x2.yaml"})
_SKIPPED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


def _files(root: Path) -> Iterator[Path]:
    for entry in IMAGE_INPUTS:
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


def main(argv: list[str] | None = None) -> int:
    """Print the image reference, or one part of it (``--tag``, ``--repository``, ``--airflow``)."""
    args = sys.argv[1:] if argv is None else argv
    choices: dict[str, Callable[[], str]] = {
        "": image_reference,
        "--tag": image_tag,
        "--airflow": airflow_reference,
        "--repository": lambda: f"{_registry_prefix()}{REPOSITORY}",
        "--digest": source_digest,
    }
    flag = args[0] if args else ""
    if flag not in choices or len(args) > 1:
        print(f"usage: python -m soccerpredict.image [{' | '.join(k for k in choices if k)}]", file=sys.stderr)
        return 2
    print(choices[flag]())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
