"""soccerpredict/image.py: the image's tag follows exactly the files the image is built from, and the files that
name the tag agree with it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soccerpredict.image import IMAGE_INPUTS, PINS, RECIPES, image_tag, main, pin, source_digest, stale_pins

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of what the digest reads, plus files it must ignore and the pinned files."""
    root = tmp_path / "repo"
    for entry in (*IMAGE_INPUTS, *RECIPES, *PINS):
        source, target = REPO / entry, root / entry
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text("not in the image\n")
    return root


def test_the_digest_is_the_repos_and_stable(tree: Path) -> None:
    assert source_digest(tree) == source_digest(REPO) == source_digest(tree)
    assert image_tag(tree).endswith(f"-{source_digest(tree)[:12]}")


@pytest.mark.parametrize(
    "changed", ["soccerpredict/image.py", "uv.lock", "docker/app.Dockerfile", "data/sample/football-data/E0/2324.csv"]
)
def test_a_change_to_what_the_image_holds_changes_the_tag(tree: Path, changed: str) -> None:
    before = source_digest(tree)
    with (tree / changed).open("a") as handle:
        handle.write("\n")
    assert source_digest(tree) != before


@pytest.mark.parametrize("changed", ["docs/index.md", "pipelines/soccer_1x2.yaml", "soccerpredict/__pycache__/x.pyc"])
def test_files_the_image_does_not_hold_leave_the_tag(tree: Path, changed: str) -> None:
    before = source_digest(tree)
    (tree / changed).parent.mkdir(parents=True, exist_ok=True)
    with (tree / changed).open("a") as handle:
        handle.write("# changed\n")
    assert source_digest(tree) == before


def test_dockerignore_lets_through_exactly_the_hashed_inputs() -> None:
    allowed = [
        line[1:].rstrip("/") for line in (REPO / ".dockerignore").read_text().splitlines() if line.startswith("!")
    ]
    assert sorted(allowed) == sorted([*IMAGE_INPUTS, "docker/build-ca.crt"])  # the CA: build.sh's, never hashed


def test_the_committed_pins_name_this_sources_image() -> None:
    assert stale_pins() == [], "run `make pin`"


def test_pin_rewrites_every_pinned_file(tree: Path) -> None:
    (tree / "soccerpredict" / "extra.py").write_text("x = 1\n")
    assert sorted(stale_pins(tree)) == sorted(PINS)
    assert sorted(pin(tree)) == sorted(PINS)
    assert stale_pins(tree) == [] and pin(tree) == []
    for rel in PINS:
        assert f'"{image_tag(tree)}"' in (tree / rel).read_text()


def test_cli_prints_the_reference_and_refuses_unknown_flags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--tag"]) == 0
    assert capsys.readouterr().out.strip() == image_tag()
    assert main(["--nope"]) == 2
    assert "usage" in capsys.readouterr().err
