"""Every YAML file under manifests/ parses and is yamllint-clean; every file of base/ and overlays/ is used."""

from __future__ import annotations

from pathlib import Path

import kustomize_tree as kt
import pytest
from yamllint import linter
from yamllint.config import YamlLintConfig

YAMLLINT_CONFIG = kt.MANIFESTS / ".yamllint.yaml"
#: YAML files under base/ and overlays/ that are not kustomize inputs: Helm values.
HELM_VALUES = {kt.BASE / "airflow" / "values.yaml", kt.OVERLAYS["prod"] / "airflow-values.yaml"}


def yaml_files() -> list[Path]:
    """Every .yaml/.yml file under manifests/ (the other engineers' monitoring files included)."""
    return sorted(p for p in kt.MANIFESTS.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(kt.MANIFESTS)))
def test_yaml_parses(path: Path) -> None:
    docs = kt.load_documents(path)
    assert docs, f"{path} has no YAML document"


def test_yamllint_is_clean() -> None:
    config = YamlLintConfig(file=str(YAMLLINT_CONFIG))
    problems = []
    for path in yaml_files():
        text = path.read_text(encoding="utf-8")
        problems += [
            f"{path.relative_to(kt.REPO)}:{p.line}:{p.column} {p.level} {p.desc} ({p.rule})"
            for p in linter.run(text, config, str(path))
        ]
    assert not problems, "yamllint -c manifests/.yamllint.yaml manifests/:\n" + "\n".join(problems)


def test_yamllint_config_catches_a_problem() -> None:
    # The configuration is not so lax that nothing fails: a duplicate key and a "yes" boolean are reported.
    config = YamlLintConfig(file=str(YAMLLINT_CONFIG))
    problems = list(linter.run("a: 1\na: 2\nb: yes\n", config))
    assert {p.rule for p in problems} >= {"key-duplicates", "truthy"}


def test_every_file_of_base_and_overlays_is_used() -> None:
    used: set[Path] = set(HELM_VALUES)
    for entry in kt.OVERLAYS.values():
        for kust in kt.walk(entry):
            used.add(kt.kustomization_file(kust.root).resolve())  # type: ignore[union-attr]
            used |= {p.resolve() for p in kust.resources if p.is_file()}
            used |= {(kust.root / str(p["path"])).resolve() for p in kust.patches if "path" in p}
    files = {
        p.resolve() for p in yaml_files() if p.is_relative_to(kt.BASE) or p.is_relative_to(kt.MANIFESTS / "overlays")
    }
    unused = sorted(str(p.relative_to(kt.REPO)) for p in files - used)
    assert not unused, f"YAML files no kustomization (or Helm) uses: {unused}"


def test_no_secret_objects_are_committed() -> None:
    for path in yaml_files():
        for doc in kt.load_documents(path):
            if isinstance(doc, dict):
                assert doc.get("kind") != "Secret", f"{path} commits a Secret; reference it (docs/deploy.md)"
