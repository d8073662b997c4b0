"""Lint of docker/*.Dockerfile: the hadolint rules that matter here, each named by its hadolint code, plus checks
against the repository (COPY sources exist and pass .dockerignore, extra pins agree with uv.lock, users agree with
the manifests). hadolint itself is not installed (no Debian package; its PyPI wrappers download from GitHub), and
no image is built here: these are static checks.
"""

from __future__ import annotations

import fnmatch
import json
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kustomize_tree as kt
import pytest
from workloads import containers, pipeline_image, pod_templates

DOCKERFILES = sorted((kt.REPO / "docker").glob("*.Dockerfile"))
APP = kt.REPO / "docker" / "app.Dockerfile"
AIRFLOW = kt.REPO / "docker" / "airflow.Dockerfile"
SECRET_NAME = re.compile(r"(SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|ACCESS_KEY|PRIVATE_KEY)", re.IGNORECASE)


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction: its keyword, its arguments (continuations joined) and its line."""

    keyword: str
    args: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Instructions of a Dockerfile; comments dropped, backslash continuations joined."""
    out: list[Instruction] = []
    buffer, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buffer and (not stripped or stripped.startswith("#")):
            continue
        if buffer and stripped.startswith("#"):
            continue  # comment lines inside a continuation are ignored by Docker too
        if not buffer:
            start = number
        if stripped.endswith("\\"):
            buffer += stripped[:-1].rstrip() + " "
            continue
        buffer += stripped
        keyword, _, args = buffer.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
        buffer = ""
    assert not buffer, "the Dockerfile ends inside a continuation"
    return out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage (each starts with FROM)."""
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        assert groups, "an instruction before the first FROM"
        groups[-1].append(instruction)
    return groups


def from_image(instruction: Instruction) -> tuple[str, str | None]:
    """(image, alias) of a FROM instruction, flags left out."""
    words = [w for w in instruction.args.split() if not w.startswith("--")]
    alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    return words[0], alias


def exec_form(args: str) -> list[str] | None:
    """The JSON array of an exec-form instruction, or None for shell form."""
    try:
        value = json.loads(args)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _runs(instructions: list[Instruction]) -> list[Instruction]:
    return [i for i in instructions if i.keyword == "RUN"]


def dl3006_dl3007(instructions: list[Instruction]) -> list[str]:
    """DL3006: always tag the image explicitly; DL3007: never :latest (stage aliases excepted)."""
    problems, aliases = [], set()
    for instruction in instructions:
        if instruction.keyword != "FROM":
            continue
        image, alias = from_image(instruction)
        if image not in aliases and image != "scratch" and "@sha256:" not in image:
            name, _, tag = image.rpartition(":")
            if not name or "/" in tag:
                problems.append(f"{instruction.line}: DL3006 untagged {image}")
            elif tag == "latest":
                problems.append(f"{instruction.line}: DL3007 {image}")
        if alias:
            aliases.add(alias)
    return problems


def dl3002(instructions: list[Instruction]) -> list[str]:
    """DL3002: the final stage's last USER must not be root (and there must be one)."""
    users = [i.args.split(":")[0] for i in stages(instructions)[-1] if i.keyword == "USER"]
    if not users:
        return ["DL3002 the final stage never sets USER (runs as root)"]
    return [f"DL3002 last USER is {users[-1]}"] if users[-1] in {"root", "0"} else []


def dl3008_dl3009(instructions: list[Instruction]) -> list[str]:
    """DL3015/DL3008: apt-get install -y --no-install-recommends (versions are not pinned: Debian drops old ones on
    security updates, which would break rebuilds); DL3009: apt lists deleted in the same layer; DL3027: apt-get."""
    problems = []
    for run in _runs(instructions):
        if re.search(r"(^|[;&|]\s*)apt\s", run.args):
            problems.append(f"{run.line}: DL3027 use apt-get")
        if "apt-get install" in run.args:
            if "--no-install-recommends" not in run.args:
                problems.append(f"{run.line}: DL3015/DL3008 without --no-install-recommends")
            if not re.search(r"apt-get install (-\S+ )*-y", run.args):
                problems.append(f"{run.line}: apt-get install without -y")
            if "rm -rf /var/lib/apt/lists/*" not in run.args:
                problems.append(f"{run.line}: DL3009 apt lists left in the layer")
    return problems


def dl3013_dl3042(instructions: list[Instruction]) -> list[str]:
    """DL3013: pin pip installs; DL3042: --no-cache-dir."""
    problems = []
    for run in _runs(instructions):
        for command in re.findall(r"(?:^|&&|;)\s*(pip3? install [^&;|]+)", run.args):
            words = shlex.split(command)[2:]
            if not all("==" in w for w in words if not w.startswith("-")):
                problems.append(f"{run.line}: DL3013 unpinned {command}")
            if "--no-cache-dir" not in words:
                problems.append(f"{run.line}: DL3042 {command}")
    return problems


def dl3022(instructions: list[Instruction]) -> list[str]:
    """DL3022: COPY --from names a stage defined earlier (an external image gets its own FROM ... AS)."""
    problems, aliases = [], set()
    for instruction in instructions:
        if instruction.keyword == "FROM":
            alias = from_image(instruction)[1]
            if alias:
                aliases.add(alias)
        found = re.search(r"--from=(\S+)", instruction.args) if instruction.keyword == "COPY" else None
        if found and found.group(1) not in aliases:
            problems.append(f"{instruction.line}: DL3022 COPY --from={found.group(1)} is not an earlier stage")
    return problems


def dl3020(instructions: list[Instruction]) -> list[str]:
    """DL3020: COPY, not ADD."""
    return [f"{i.line}: DL3020 ADD" for i in instructions if i.keyword == "ADD"]


def dl3025(instructions: list[Instruction]) -> list[str]:
    """DL3025: CMD and ENTRYPOINT (and the HEALTHCHECK command) in exec (JSON) form."""
    problems = []
    for instruction in instructions:
        if instruction.keyword in {"CMD", "ENTRYPOINT"} and not exec_form(instruction.args):
            problems.append(f"{instruction.line}: DL3025 {instruction.keyword} in shell form")
        if instruction.keyword == "HEALTHCHECK" and instruction.args != "NONE":
            command = instruction.args.split(" CMD ", 1)
            if len(command) != 2 or not exec_form(command[1]):
                problems.append(f"{instruction.line}: DL3025 HEALTHCHECK in shell form")
    return problems


def dl4006(instructions: list[Instruction]) -> list[str]:
    """DL4006: a RUN with a pipe needs SHELL [..., "-o", "pipefail", ...] earlier in its stage."""
    problems = []
    for stage in stages(instructions):
        pipefail = False
        for instruction in stage:
            if instruction.keyword == "SHELL":
                pipefail = "pipefail" in (exec_form(instruction.args) or [])
            if instruction.keyword == "RUN" and re.search(r"(?<!\|)\|(?!\|)", instruction.args) and not pipefail:
                problems.append(f"{instruction.line}: DL4006 pipe without pipefail")
    return problems


def dl3004_dl3003(instructions: list[Instruction]) -> list[str]:
    """DL3004: no sudo; DL3003: WORKDIR instead of cd."""
    problems = []
    for run in _runs(instructions):
        if re.search(r"\bsudo\b", run.args):
            problems.append(f"{run.line}: DL3004 sudo")
        if re.search(r"(^|[;&]\s*)cd\s", run.args):
            problems.append(f"{run.line}: DL3003 cd")
    return problems


def healthcheck(instructions: list[Instruction]) -> list[str]:
    """A HEALTHCHECK in the final stage."""
    return [] if any(i.keyword == "HEALTHCHECK" for i in stages(instructions)[-1]) else ["no HEALTHCHECK"]


def no_secrets(instructions: list[Instruction]) -> list[str]:
    """No ENV or ARG whose name says it holds a secret (it would be baked into the image's history)."""
    problems = []
    for instruction in instructions:
        if instruction.keyword in {"ENV", "ARG"}:
            names = re.findall(r"(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)", instruction.args)
            problems += [f"{instruction.line}: secret-looking {n}" for n in names if SECRET_NAME.search(n)]
    return problems


RULES = {
    "DL3006/DL3007": dl3006_dl3007,
    "DL3002": dl3002,
    "DL3008/DL3009/DL3015/DL3027": dl3008_dl3009,
    "DL3013/DL3042": dl3013_dl3042,
    "DL3020": dl3020,
    "DL3022": dl3022,
    "DL3025": dl3025,
    "DL4006": dl4006,
    "DL3004/DL3003": dl3004_dl3003,
    "HEALTHCHECK": healthcheck,
    "no secrets in ENV/ARG": no_secrets,
}

BAD_DOCKERFILE = """\
FROM python AS base
FROM debian:latest
ADD . /app
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /bin/uv
RUN apt install curl | tee log && cd /app && sudo make
RUN apt-get install curl
RUN pip install requests
ENV API_TOKEN=abc
CMD python app.py
ENTRYPOINT soccerpredict
HEALTHCHECK CMD curl -f http://localhost/
USER root
"""


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule(path: Path, rule: str) -> None:
    problems = RULES[rule](parse(path.read_text(encoding="utf-8")))
    assert not problems, f"{path.name}: {problems}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_catches_a_bad_dockerfile(rule: str) -> None:
    if rule == "HEALTHCHECK":
        assert RULES[rule](parse("FROM python:3.11.13-slim\nUSER 1000\n"))
    else:
        assert RULES[rule](parse(BAD_DOCKERFILE)), f"{rule} found nothing wrong"


def test_every_stage_that_runs_sets_pipefail() -> None:
    """So that a pipe added later to any RUN is covered (DL4006)."""
    for path in DOCKERFILES:
        for stage in stages(parse(path.read_text(encoding="utf-8"))):
            if _runs(stage):
                assert any(i.keyword == "SHELL" and "pipefail" in i.args for i in stage), (
                    f"{path.name}: {stage[0].args}"
                )


UV_IMAGE = "ghcr.io/astral-sh/uv"


def base_images(path: Path) -> set[str]:
    """The images a Dockerfile's stages start from, the uv binary's image left out."""
    images = {from_image(i)[0] for i in parse(path.read_text(encoding="utf-8")) if i.keyword == "FROM"}
    return {image for image in images if not image.startswith(UV_IMAGE + ":")}


def test_app_base_is_a_patch_pinned_slim_python() -> None:
    images = base_images(APP)
    assert len(images) == 1, "builder and runtime must share the base (the venv's interpreter path)"
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", images.pop())


def test_there_are_the_two_images() -> None:
    assert {p.name for p in DOCKERFILES} == {"app.Dockerfile", "airflow.Dockerfile"}


def test_parser() -> None:
    parsed = parse('FROM a:1 AS b\nRUN x \\\n    # note\n    && y\nCMD ["z"]\n')
    assert [i.keyword for i in parsed] == ["FROM", "RUN", "CMD"]
    assert from_image(parsed[0]) == ("a:1", "b")
    assert parsed[1] == Instruction("RUN", "x && y", 2)
    assert exec_form(parsed[2].args) == ["z"]


@pytest.fixture(params=DOCKERFILES, ids=lambda p: p.name)
def dockerfile(request: pytest.FixtureRequest) -> tuple[Path, list[Instruction]]:
    path: Path = request.param
    return path, parse(path.read_text(encoding="utf-8"))


# --- agreement with the repository --------------------------------------------------------------------------


def dockerignore_excludes(relative: str) -> bool:
    """Whether .dockerignore leaves ``relative`` out of the context (Docker's rules: last match wins, a pattern
    matching a parent folder matches the path, ``!`` re-includes, ``**`` spans folders)."""
    patterns = []
    for line in (kt.REPO / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        pattern = line.lstrip("!").strip("/")
        regex = fnmatch.translate(pattern).replace(".*", "[^/]*").replace("[^/]*[^/]*", ".*")
        patterns.append((negate, re.compile(regex)))
    parts = Path(relative).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negate, regex in patterns:
        if any(regex.match(c) for c in candidates):
            excluded = not negate
    return excluded


def test_dockerignore_rules() -> None:
    assert dockerignore_excludes(".venv/bin/python")
    assert dockerignore_excludes("data/sample/x.csv")
    assert dockerignore_excludes("serving/__pycache__/x.pyc")
    assert not dockerignore_excludes("serving/api/app.py")
    assert not dockerignore_excludes("airflow/dags/soccer_common.py")
    assert dockerignore_excludes("airflow/requirements.lock")


def test_copy_sources_exist_and_are_in_the_context(dockerfile: tuple[Path, list[Instruction]]) -> None:
    path, instructions = dockerfile
    for instruction in instructions:
        if instruction.keyword != "COPY" or "--from=" in instruction.args:
            continue
        words = [w for w in instruction.args.split() if not w.startswith("--")]
        for source in words[:-1]:
            assert (kt.REPO / source).exists(), f"{path.name}:{instruction.line} {source} does not exist"
            files = [kt.REPO / source] if (kt.REPO / source).is_file() else (kt.REPO / source).rglob("*.py")
            for file in files:
                relative = str(file.relative_to(kt.REPO))
                assert not dockerignore_excludes(relative), f"{path.name}: {relative} is excluded by .dockerignore"


def _lock_versions() -> dict[str, str]:
    lock = tomllib.loads((kt.REPO / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def test_uv_is_frozen_and_pins_agree_with_the_lock(dockerfile: tuple[Path, list[Instruction]]) -> None:
    path, instructions = dockerfile
    runs = " ".join(r.args for r in _runs(instructions))
    syncs = re.findall(r"uv sync ([^&;]+)", runs)
    assert syncs and all("--frozen" in s and "--no-dev" in s for s in syncs), f"{path.name}: uv sync must be frozen"
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (kt.REPO / "Makefile").read_text(), re.MULTILINE)
    uv_images = {from_image(i)[0] for i in instructions if i.keyword == "FROM" and i.args.startswith(UV_IMAGE)}
    assert makefile_uv and uv_images == {f"{UV_IMAGE}:{makefile_uv.group(1)}"}, f"{path.name}: uv is not the Makefile's"
    locked = _lock_versions()
    for command in re.findall(r"uv pip install ([^&;]+)", runs):
        for spec in (w for w in shlex.split(command) if "==" in w):
            name, version = spec.split("==")
            assert locked.get(name) == version, f"{path.name}: {spec} but uv.lock has {name} {locked.get(name)}"


def _final_user(path: Path) -> int:
    users = [i.args.split(":")[0] for i in stages(parse(path.read_text()))[-1] if i.keyword == "USER"]
    return int(users[-1])


def test_app_image_contract(rendered: dict[str, list[dict[str, Any]]]) -> None:
    instructions = parse(APP.read_text())
    entrypoint = exec_form(next(i.args for i in instructions if i.keyword == "ENTRYPOINT"))
    scripts = tomllib.loads((kt.REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert entrypoint and entrypoint[0] in scripts
    # The pods running the project image run as the image's user.
    uid = _final_user(APP)
    for pod in pod_templates(rendered["prod"]):
        for container in containers(pod.spec):
            if container["image"] == pipeline_image():
                assert pod.spec["securityContext"]["runAsUser"] == uid, pod.owner
    # KFP's launcher writes artifacts under /gcs, /minio and /s3: the non-root user must own them.
    runs = " ".join(r.args for r in _runs(instructions))
    assert all(d in runs for d in ("/gcs", "/minio", "/s3")) and "chown app:app" in runs
    assert "python3 -m kfp.dsl.executor_main" in (kt.REPO / "pipelines" / "soccer_1x2.yaml").read_text()
    assert re.search(r"PATH=/opt/venv/bin:", " ".join(i.args for i in instructions if i.keyword == "ENV"))


def test_airflow_image_contract() -> None:
    import yaml

    values = yaml.safe_load((kt.BASE / "airflow" / "values.yaml").read_text())
    assert _final_user(AIRFLOW) == values["uid"]
    text = AIRFLOW.read_text()
    assert "COPY --chown=airflow:root airflow/dags ./airflow/dags" in text
