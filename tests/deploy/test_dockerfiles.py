"""docker/*.Dockerfile: the real hadolint with the repository's .hadolint.yaml, then the checks no linter makes
because they need the repository: COPY sources exist and pass .dockerignore (Docker's own matcher, from docker-py),
the build needs no container registry, uv is the Makefile's and syncs the lock, the build CA bundle stays in the
builder stage, and the images' users agree with the manifests. No image is built here
(tests/container/test_project_image.py inspects a built one).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kustomize_tree as kt
import pytest
import yaml
from docker.utils.build import PatternMatcher
from workloads import containers, pipeline_image, pod_templates

DOCKERFILES = sorted((kt.REPO / "docker").glob("*.Dockerfile"))
APP = kt.REPO / "docker" / "app.Dockerfile"
AIRFLOW = kt.REPO / "docker" / "airflow.Dockerfile"
BUILD_SCRIPT = kt.REPO / "docker" / "build.sh"
HADOLINT = Path(sys.executable).parent / "hadolint"
HADOLINT_CONFIG = kt.REPO / ".hadolint.yaml"
BASE_ARG = "${BASE_IMAGE}"


# --- hadolint -----------------------------------------------------------------------------------------------


def hadolint(path: Path, *flags: str, config: Path = HADOLINT_CONFIG) -> tuple[int, list[dict[str, Any]]]:
    """hadolint's exit code and findings (JSON) for one Dockerfile, with the repository's configuration."""
    command = [str(HADOLINT), "--config", str(config), "--format", "json", *flags, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert not done.stderr, done.stderr
    return done.returncode, json.loads(done.stdout)


def test_hadolint_is_the_real_binary() -> None:
    done = subprocess.run([str(HADOLINT), "--version"], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.startswith("Haskell Dockerfile Linter 2."), done.stdout


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_hadolint_passes(path: Path) -> None:
    code, findings = hadolint(path)
    assert findings == [] and code == 0, "\n".join(f"{f['line']}: {f['code']} {f['message']}" for f in findings)


BAD_DOCKERFILE = """\
FROM python AS base
FROM debian:latest
ADD . /app
RUN apt install curl | tee log && cd /app && sudo make
RUN apt-get update && apt-get install curl
RUN pip install requests
ENV API_TOKEN=abc
CMD python app.py
ENTRYPOINT soccerpredict
USER root
"""

#: What the hand-written rules of this file used to check, now hadolint's (DL3049: .hadolint.yaml's labels).
EXPECTED_ON_THE_BAD_DOCKERFILE = {
    "DL3002": "last USER root",
    "DL3003": "cd instead of WORKDIR",
    "DL3004": "sudo",
    "DL3006": "untagged FROM",
    "DL3007": "FROM :latest",
    "DL3009": "apt lists left in the layer",
    "DL3013": "unpinned pip install",
    "DL3014": "apt-get install without -y",
    "DL3015": "without --no-install-recommends",
    "DL3020": "ADD instead of COPY",
    "DL3025": "CMD/ENTRYPOINT in shell form",
    "DL3027": "apt instead of apt-get",
    "DL3042": "pip's cache kept",
    "DL3049": "a required label missing",
    "DL3064": "a secret in ENV",
    "DL4006": "a pipe without pipefail",
}


def test_hadolint_with_the_config_still_catches_a_bad_dockerfile(tmp_path: Path) -> None:
    path = tmp_path / "bad.Dockerfile"
    path.write_text(BAD_DOCKERFILE)
    code, findings = hadolint(path)
    found = {f["code"] for f in findings}
    assert code == 1
    missing = {rule: why for rule, why in EXPECTED_ON_THE_BAD_DOCKERFILE.items() if rule not in found}
    assert not missing, f"hadolint with .hadolint.yaml no longer reports {missing}"
    assert "DL3008" not in found, "the config's ignore list is not in effect"


def _ignored_rules() -> list[str]:
    return [str(rule) for rule in yaml.safe_load(HADOLINT_CONFIG.read_text())["ignored"]]


def test_every_ignored_rule_states_its_reason() -> None:
    lines = HADOLINT_CONFIG.read_text().splitlines()
    for rule in _ignored_rules():
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {rule}")
        comments = []
        for line in reversed(lines[:index]):
            if not line.strip().startswith("#"):
                break
            comments.append(line)
        assert any(rule in c for c in comments) and len(" ".join(comments)) > 80, f"{rule}: say why it is ignored"


def test_every_ignored_rule_still_fires(tmp_path: Path) -> None:
    """An ignore that no Dockerfile needs any more goes."""
    config = yaml.safe_load(HADOLINT_CONFIG.read_text())
    del config["ignored"]
    unignored = tmp_path / "hadolint.yaml"
    unignored.write_text(yaml.safe_dump(config))
    fired = set()
    for path in DOCKERFILES:
        fired |= {f["code"] for f in hadolint(path, "--no-fail", config=unignored)[1]}
    stale = set(_ignored_rules()) - fired
    assert not stale, f"remove from .hadolint.yaml, nothing needs them: {sorted(stale)}"


# --- a small reader of the instructions, for the checks against the repository -------------------------------


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
    """Instructions grouped by build stage (each starts with FROM); global ARGs before the first FROM dropped."""
    groups: list[list[Instruction]] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            groups.append([])
        if groups:
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


def copy_parts(instruction: Instruction) -> tuple[dict[str, str], list[str], str]:
    """(flags, sources, destination) of a COPY."""
    words = instruction.args.split()
    flags = dict(w[2:].partition("=")[::2] for w in words if w.startswith("--"))
    rest = [w for w in words if not w.startswith("--")]
    return flags, rest[:-1], rest[-1]


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    """Default values of the ARGs (``ARG NAME=value``)."""
    defaults = {}
    for instruction in instructions:
        if instruction.keyword == "ARG" and "=" in instruction.args:
            name, _, value = instruction.args.partition("=")
            defaults[name.strip()] = value.strip().strip('"')
    return defaults


def runs(instructions: list[Instruction]) -> str:
    """Every RUN's command, joined."""
    return " ; ".join(i.args for i in instructions if i.keyword == "RUN")


def test_parser() -> None:
    parsed = parse('ARG X=1\nFROM a:1 AS b\nRUN x \\\n    # note\n    && y\nCOPY --from=b /s /t\nCMD ["z"]\n')
    assert [i.keyword for i in parsed] == ["ARG", "FROM", "RUN", "COPY", "CMD"]
    assert arg_defaults(parsed) == {"X": "1"}
    assert from_image(parsed[1]) == ("a:1", "b")
    assert parsed[2] == Instruction("RUN", "x && y", 3)
    assert copy_parts(parsed[3]) == ({"from": "b"}, ["/s"], "/t")
    assert exec_form(parsed[4].args) == ["z"]
    assert [len(s) for s in stages(parsed)] == [4]


@pytest.fixture(params=DOCKERFILES, ids=lambda p: p.name)
def dockerfile(request: pytest.FixtureRequest) -> tuple[Path, list[Instruction]]:
    path: Path = request.param
    return path, parse(path.read_text(encoding="utf-8"))


def test_there_are_the_two_images() -> None:
    assert {p.name for p in DOCKERFILES} == {"app.Dockerfile", "airflow.Dockerfile"}


# --- the build context ----------------------------------------------------------------------------------------


def dockerignore() -> PatternMatcher:
    """.dockerignore as Docker reads it (docker-py's matcher: last match wins, ``!`` re-includes)."""
    lines = (kt.REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    return PatternMatcher([line.strip() for line in lines if line.strip() and not line.strip().startswith("#")])


def test_dockerignore_keeps_the_local_state_out() -> None:
    ignore = dockerignore()
    for path in (".venv/bin/python", ".soccerpredict/mlflow.db", "data/raw/E0.csv", "serving/__pycache__/x.pyc"):
        assert ignore.matches(path), f"{path} would be sent to the build"
    for path in ("serving/api/app.py", "airflow/dags/soccer_common.py", "data/sample/football-data/E0.csv"):
        assert not ignore.matches(path), f"{path} would be left out of the build"


def tracked_files(source: str) -> list[str]:
    """The files git tracks at or below ``source``."""
    done = subprocess.run(["git", "ls-files", "--", source], cwd=kt.REPO, capture_output=True, text=True, check=True)
    return done.stdout.split()


def generated_by_the_build_script(source: str) -> bool:
    """Whether docker/build.sh writes ``source`` into the context (and git ignores it)."""
    ignored = subprocess.run(["git", "check-ignore", "-q", source], cwd=kt.REPO, check=False).returncode == 0
    return ignored and re.search(rf"\bcp\s+\S+\s+{re.escape(source)}(\s|$)", BUILD_SCRIPT.read_text()) is not None


def context_copies(instructions: list[Instruction]) -> list[tuple[Instruction, str]]:
    """(COPY, source) of every COPY from the build context."""
    out = []
    for instruction in instructions:
        if instruction.keyword == "COPY":
            flags, sources, _ = copy_parts(instruction)
            out += [(instruction, s) for s in sources if "from" not in flags]
    return out


def test_copy_sources_exist_and_are_in_the_context(dockerfile: tuple[Path, list[Instruction]]) -> None:
    path, instructions = dockerfile
    ignore = dockerignore()
    for instruction, source in context_copies(instructions):
        where = f"{path.name}:{instruction.line} {source}"
        files = tracked_files(source)
        if not files:
            assert generated_by_the_build_script(source), f"{where}: neither in git nor written by docker/build.sh"
            files = [source]
        excluded = [f for f in files if ignore.matches(f)]
        assert not excluded, f"{where}: .dockerignore leaves out {excluded[:5]}"


def test_dockerignore_lets_through_only_what_is_copied() -> None:
    """The allow-list has no entry that no Dockerfile COPYs (so the context stays what the images need)."""
    copied = {s.rstrip("/") for p in DOCKERFILES for _, s in context_copies(parse(p.read_text()))}
    lines = (kt.REPO / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].strip().rstrip("/") for line in lines if line.startswith("!")}
    assert allowed - copied == set(), "allowed by .dockerignore, copied by no Dockerfile"


# --- the build: no registry, the locked environment, the CA bundle in the builder only -----------------------


def test_builds_from_the_base_argument_only(dockerfile: tuple[Path, list[Instruction]]) -> None:
    """Every stage starts from ``${BASE_IMAGE}`` (the Airflow image also from ``${PROJECT_IMAGE}``, built here
    first) or an earlier stage, and COPY --from names only stages: the offline base works where no registry
    answers (hadolint allows an image in COPY --from)."""
    path, instructions = dockerfile
    base = arg_defaults(instructions[: next(i for i, x in enumerate(instructions) if x.keyword == "FROM")])
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base.get("BASE_IMAGE", "")), path
    aliases: set[str] = set()
    for instruction in instructions:
        if instruction.keyword == "FROM":
            image, alias = from_image(instruction)
            # The Airflow image copies the project image's environment from PROJECT_IMAGE, which build.sh passes.
            allowed = {BASE_ARG, "${PROJECT_IMAGE}"} if path == AIRFLOW else {BASE_ARG}
            assert image in allowed or image in aliases, f"{path.name}:{instruction.line} FROM {image}"
            aliases |= {alias} if alias else set()
        elif instruction.keyword == "COPY":
            origin = copy_parts(instruction)[0].get("from")
            assert origin is None or origin in aliases, f"{path.name}:{instruction.line} COPY --from={origin}"


def test_both_images_share_the_base() -> None:
    defaults = {arg_defaults(parse(p.read_text()))["BASE_IMAGE"] for p in DOCKERFILES}
    assert len(defaults) == 1, defaults
    assert re.search(rf"^public_base={re.escape(defaults.pop())}$", BUILD_SCRIPT.read_text(), re.MULTILINE)


def _lock_versions() -> dict[str, str]:
    lock = tomllib.loads((kt.REPO / "uv.lock").read_text(encoding="utf-8"))
    return {p["name"]: p["version"] for p in lock["package"] if "version" in p}


def test_uv_is_the_makefiles_and_installs_only_locks(dockerfile: tuple[Path, list[Instruction]]) -> None:
    path, instructions = dockerfile
    commands = runs(instructions)
    makefile_uv = re.search(r"^UV_VERSION := (\S+)", (kt.REPO / "Makefile").read_text(), re.MULTILINE)
    assert makefile_uv and arg_defaults(instructions).get("UV_VERSION") == makefile_uv.group(1), path.name
    assert re.search(r"pip install [^;&]*\"uv==\$\{UV_VERSION\}\"", commands), f"{path.name}: uv not from PyPI"
    syncs = re.findall(r"uv sync ([^&;]+)", commands)
    assert all("--frozen" in s and "--no-dev" in s for s in syncs), f"{path.name}: uv sync must be frozen"
    assert syncs or re.search(r"uv pip install [^;&]*-r ", commands), f"{path.name}: installs nothing from a lock"
    copied = {Path(dest).name: source for i, source in context_copies(instructions) for dest in [copy_parts(i)[2]]}
    for requirements in re.findall(r"uv pip install [^;&]*-r (\S+)", commands):
        source = copied.get(Path(requirements).name, "")
        assert source.endswith(".lock"), f"{path.name}: uv pip install -r {requirements} is not a lock file"
    locked = _lock_versions()
    for command in re.findall(r"pip install ([^&;]+)", commands):
        for spec in (w for w in shlex.split(command) if "==" in w and not w.startswith("uv==")):
            name, version = spec.split("==")
            assert locked.get(name) == version, f"{path.name}: {spec} but uv.lock has {name} {locked.get(name)}"


def test_the_build_ca_bundle_stays_in_the_builder(dockerfile: tuple[Path, list[Instruction]]) -> None:
    """docker/build.sh copies the machine's CA bundle into the context: only a builder stage may read it, and the
    final stage copies from the builder only the environments and the app, never where the bundle is."""
    path, instructions = dockerfile
    *builders, final = stages(instructions)
    ca_copies = [i for s in builders for i, src in context_copies(s) if src == "docker/build-ca.crt"]
    assert ca_copies, f"{path.name}: the builder does not copy the CA bundle (TLS to PyPI here needs it)"
    destinations = {copy_parts(i)[2] for i in ca_copies}
    assert not [i for i in final if "build-ca" in i.args], f"{path.name}: the final stage touches the CA bundle"
    for instruction in final:
        if instruction.keyword == "COPY" and "from" in copy_parts(instruction)[0]:
            for source in copy_parts(instruction)[1]:
                assert not any(d.startswith(source.rstrip("/") + "/") or d == source for d in destinations), (
                    f"{path.name}:{instruction.line} copies {source}, which holds the CA bundle"
                )
                assert source not in {"/", "/tmp", "/tmp/"}, f"{path.name}:{instruction.line} {source}"


# --- the images' contract with the manifests ----------------------------------------------------------------


def _final_user(path: Path) -> int:
    users = [i.args.split(":")[0] for i in stages(parse(path.read_text()))[-1] if i.keyword == "USER"]
    assert users, f"{path.name}: the final stage sets no USER (hadolint's DL3002 only rejects an explicit root)"
    assert users[-1].isdigit(), f"{path.name}: USER {users[-1]} (runAsNonRoot verifies numeric users only)"
    return int(users[-1])


def test_final_stage_runs_as_a_numeric_user_with_a_healthcheck(dockerfile: tuple[Path, list[Instruction]]) -> None:
    path, instructions = dockerfile
    assert _final_user(path) != 0
    checks = [i for i in stages(instructions)[-1] if i.keyword == "HEALTHCHECK"]
    assert checks and exec_form(checks[-1].args.split(" CMD ", 1)[-1]), f"{path.name}: no exec-form HEALTHCHECK"


def test_app_image_contract() -> None:
    instructions = parse(APP.read_text())
    # The default command (ENTRYPOINT, else CMD) is one of the project's scripts.
    final = stages(instructions)[-1]
    command = [exec_form(i.args) for i in final if i.keyword in {"ENTRYPOINT", "CMD"}]
    scripts = tomllib.loads((kt.REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert command and command[0] and command[0][0] in scripts
    # KFP's launcher writes artifacts under /gcs, /minio and /s3: the non-root user must own them.
    commands = runs(stages(instructions)[-1])
    assert all(d in commands for d in ("/gcs", "/minio", "/s3")) and "chown app:app" in commands
    # Components run `python3 -m kfp.dsl.executor_main`: the image's venv must come first on PATH.
    assert "python3 -m kfp.dsl.executor_main" in (kt.REPO / "pipelines" / "soccer_1x2.yaml").read_text()
    assert re.search(r"PATH=/opt/venv/bin:", " ".join(i.args for i in instructions if i.keyword == "ENV"))


def test_pods_of_the_project_image_run_as_its_user(rendered: dict[str, list[dict[str, Any]]]) -> None:
    uid = _final_user(APP)
    for pod in pod_templates(rendered["prod"]):
        for container in containers(pod.spec):
            if container["image"] == pipeline_image():
                assert pod.spec["securityContext"]["runAsUser"] == uid, pod.owner


def test_airflow_image_contract() -> None:
    values = yaml.safe_load((kt.BASE / "airflow" / "values.yaml").read_text())
    assert _final_user(AIRFLOW) == values["uid"]
    instructions = parse(AIRFLOW.read_text())
    assert "airflow/dags" in {source.rstrip("/") for _, source in context_copies(instructions)}
    assert re.search(r"^apache-airflow==", (kt.REPO / "airflow" / "requirements.lock").read_text(), re.MULTILINE)
