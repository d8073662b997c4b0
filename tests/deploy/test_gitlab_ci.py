""".gitlab-ci.yml: valid for GitLab (check-jsonschema's bundled GitLab CI schema, offline), and the rules of the
CI-compiled pipeline submissions: the staleness check of the compiled pipeline on every pipeline, the image build
and the KFP submission on the default branch only, the submission after the build, the image named by
``python -m soccerpredict.image`` and the pipeline version by the commit.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import kustomize_tree as kt
import pytest
import yaml

CI_FILE = kt.REPO / ".gitlab-ci.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
COMPILED = "pipelines/soccer_1x2.yaml"
DEFAULT_BRANCH_RULE = {"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}
#: Keywords of the top level that are not jobs.
GLOBAL_KEYWORDS = {"stages", "workflow", "variables", "default", "include", "image", "services", "cache"}

Job = dict[str, Any]


def validate(path: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.gitlab-ci", str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def test_gitlab_ci_validates_against_gitlabs_schema() -> None:
    done = validate(CI_FILE)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    "broken",
    [
        'stages: [test]\nlint:\n  stage: test\n  script:\n    - grep -q "image: x" f\n',  # a colon makes it a map
        "stages: [test]\nlint:\n  stage: test\n  scripts: [make lint]\n",
        "stages: [test]\nlint:\n  stage: test\n  script: [make lint]\n  rules:\n    - when: sometimes\n",
    ],
    ids=["unquoted colon", "unknown keyword", "bad rule"],
)
def test_the_schema_check_rejects_a_broken_ci_file(tmp_path: Path, broken: str) -> None:
    path = tmp_path / ".gitlab-ci.yml"
    path.write_text(broken)
    assert validate(path).returncode == 1


@pytest.fixture(scope="module")
def ci() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CI_FILE.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def jobs(ci: dict[str, Any]) -> dict[str, Job]:
    return {name: job for name, job in ci.items() if name not in GLOBAL_KEYWORDS and not name.startswith(".")}


def script(job: Job) -> list[str]:
    """The job's commands: before_script is the default's, script its own."""
    return [str(line) for line in job["script"]]


def commands(job: Job, program: str) -> list[list[str]]:
    """The job's commands that run ``program`` (a path ending in it, or it), split as the shell would."""
    out = []
    for line in script(job):
        words = shlex.split(line)
        for start, word in enumerate(words):
            if word == program or word.endswith("/" + program):
                out.append(words[start:])
                break
    return out


def options(command: list[str]) -> dict[str, str]:
    """``--name value`` pairs of a command."""
    return {word: command[i + 1] for i, word in enumerate(command[:-1]) if word.startswith("--")}


def jobs_of_stage(jobs: dict[str, Job], stage: str) -> dict[str, Job]:
    return {name: job for name, job in jobs.items() if job.get("stage") == stage}


def _one(jobs: dict[str, Job], stage: str) -> tuple[str, Job]:
    (name, job), *others = jobs_of_stage(jobs, stage).items()
    assert not others, f"one {stage} job expected"
    return name, job


def runs_on_every_pipeline(job: Job) -> bool:
    """No rules, only or except: the job is in every pipeline the workflow creates."""
    return not ({"rules", "only", "except"} & set(job)) and job.get("when", "on_success") == "on_success"


def test_stages(ci: dict[str, Any], jobs: dict[str, Job]) -> None:
    assert ci["stages"] == ["lint", "test", "compile", "build", "submit"]
    assert all(jobs_of_stage(jobs, stage) for stage in ci["stages"]), "a stage without jobs"


def test_workflow_runs_on_branches_and_merge_requests(ci: dict[str, Any]) -> None:
    rules = ci["workflow"]["rules"]
    admitted = [r["if"] for r in rules if r.get("when", "always") != "never"]
    assert "$CI_COMMIT_BRANCH" in admitted and '$CI_PIPELINE_SOURCE == "merge_request_event"' in admitted


def test_lint_and_test_run_on_every_pipeline(jobs: dict[str, Job]) -> None:
    lint, test = jobs_of_stage(jobs, "lint"), jobs_of_stage(jobs, "test")
    assert all(runs_on_every_pipeline(job) for job in [*lint.values(), *test.values()])
    lint_commands = [line for job in lint.values() for line in script(job)]
    assert "make lint" in lint_commands, "ruff and mypy: the Makefile's lint target"
    assert any(c[1:3] == ["--config", ".hadolint.yaml"] for job in lint.values() for c in commands(job, "hadolint"))
    pytest_runs = [c for job in test.values() for c in commands(job, "pytest")]
    assert pytest_runs or any("make test" in line for job in test.values() for line in script(job))


def test_the_compiled_pipeline_is_checked_for_staleness_on_every_pipeline(jobs: dict[str, Job]) -> None:
    name, job = _one(jobs, "compile")
    assert runs_on_every_pipeline(job), f"{name} must run on every pipeline"
    lines = script(job)
    compile_at = lines.index(".venv/bin/soccerpredict pipeline compile")  # the default: the committed file
    diff_at = next(i for i, line in enumerate(lines) if line.startswith("git diff --exit-code") and COMPILED in line)
    assert compile_at < diff_at, "compile first, then compare with the committed file"
    assert f"git ls-files --error-unmatch {COMPILED}" in lines[:diff_at], "an uncommitted file has no diff"
    # The staleness compile names the image as the committed file does: no registry prefix in the job's env.
    assert "SOCCER_IMAGE_REGISTRY" not in (job.get("variables") or {})


def test_build_and_submit_only_on_the_default_branch(jobs: dict[str, Job]) -> None:
    for stage in ("build", "submit"):
        for name, job in jobs_of_stage(jobs, stage).items():
            assert job.get("rules") == [DEFAULT_BRANCH_RULE] and not {"only", "except"} & set(job), name


def test_the_image_pushed_is_soccerpredict_image(ci: dict[str, Any], jobs: dict[str, Job]) -> None:
    _, build = _one(jobs, "build")
    lines = script(build)
    assert "make image" in lines
    pushes = [line for line in lines if line.startswith("docker push")]
    assert 'docker push "$(.venv/bin/python -m soccerpredict.image)"' in pushes, pushes
    assert lines.index("make image") < lines.index(pushes[0])
    registry = build["variables"]["SOCCER_IMAGE_REGISTRY"]
    assert registry == "$PROJECT_IMAGE_REGISTRY" and ci["variables"]["PROJECT_IMAGE_REGISTRY"] == "$CI_REGISTRY_IMAGE"


def test_submit_uploads_a_version_named_after_the_commit(jobs: dict[str, Job]) -> None:
    build_name, _ = _one(jobs, "build")
    compile_name, compile_job = _one(jobs, "compile")
    _, submit = _one(jobs, "submit")
    needed = {n["job"] if isinstance(n, dict) else n: n for n in submit["needs"]}
    assert build_name in needed and compile_name in needed, "submit runs after the image is pushed"
    (command,) = [c for c in commands(submit, "soccerpredict") if c[1:3] == ["pipeline", "submit"]]
    given = options(command)
    assert given["--host"] == "$KFP_HOST"
    assert given["--experiment"] == "soccerpredict-main"
    assert given["--version-name"] == "$CI_COMMIT_SHORT_SHA"
    assert given["--run-name"] == "main-$CI_COMMIT_SHORT_SHA"
    # The package submitted is the compile job's artifact naming the pushed image (same registry as the build).
    package = given["--package"]
    assert package in compile_job["artifacts"]["paths"]
    (registry_compile,) = [line for line in script(compile_job) if package in line]
    assert registry_compile.startswith('SOCCER_IMAGE_REGISTRY="$PROJECT_IMAGE_REGISTRY" ')


def test_submit_options_are_the_clis() -> None:
    """The options the submit job passes exist in ``soccerpredict pipeline submit`` (another engineer's CLI)."""
    soccerpredict = Path(sys.executable).parent / "soccerpredict"
    done = subprocess.run(
        [str(soccerpredict), "pipeline", "submit", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={"COLUMNS": "200", "PATH": str(soccerpredict.parent), "NO_COLOR": "1"},
    )
    for option in ("--host", "--experiment", "--version-name", "--run-name", "--package", "--param"):
        assert option in done.stdout, option
