"""What `pipeline submit` sends: --param pairs parsed and checked against the compiled parameters, the version name."""

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.kfp_pipeline import check_arguments, default_version_name, parse_param_pairs, pipeline_parameters
from soccerpredict.errors import PipelineError

REPO = Path(__file__).resolve().parents[2]
TYPES = {"track": "STRING", "n_trials_xgb": "NUMBER_INTEGER", "test_seasons": "LIST", "rate": "NUMBER_DOUBLE"}


def test_values_are_json_when_they_parse_else_strings() -> None:
    pairs = ["n=40", 'seasons=["2223","2324"]', "track=stats_only", "note=a=b", "empty=", "flag=true"]
    assert parse_param_pairs(pairs) == {
        "n": 40,
        "seasons": ["2223", "2324"],
        "track": "stats_only",
        "note": "a=b",
        "empty": "",
        "flag": True,
    }


@pytest.mark.parametrize("pair", ["track", "=3"])
def test_a_pair_without_a_key_is_rejected(pair: str) -> None:
    with pytest.raises(PipelineError, match="is not key=value"):
        parse_param_pairs([pair])


def test_arguments_are_checked_against_the_parameter_types() -> None:
    args = {"track": 2024, "n_trials_xgb": 3, "test_seasons": ["2324"], "rate": 1}
    assert check_arguments(args, TYPES) == {"track": "2024", "n_trials_xgb": 3, "test_seasons": ["2324"], "rate": 1}
    for bad in ({"n_trials_xgb": True}, {"n_trials_xgb": "3"}, {"test_seasons": "2324"}, {"rate": "x"}):
        with pytest.raises(PipelineError, match="pass it as JSON"):
            check_arguments(bad, TYPES)
    with pytest.raises(PipelineError, match=r"unknown pipeline parameter\(s\) \['tracks'\]; the pipeline has: \["):
        check_arguments({"tracks": "x"}, TYPES)


def test_the_version_name_is_the_commit_else_a_timestamp(tmp_path: Path) -> None:
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        assert default_version_name(repo=REPO) == head.stdout.strip()
    now = datetime(2026, 12, 3, 7, 5, 9, tzinfo=UTC)
    assert default_version_name(repo=tmp_path, now=now) == "20261203-070509"


def test_a_file_that_is_not_a_compiled_pipeline_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(PipelineError, match="run `soccerpredict pipeline compile` first"):
        pipeline_parameters(tmp_path / "missing.yaml")
    (tmp_path / "other.yaml").write_text("name: not-a-pipeline\n")
    with pytest.raises(PipelineError, match="not a compiled KFP pipeline"):
        pipeline_parameters(tmp_path / "other.yaml")
