"""The pipeline's typed run parameters: defaults read from params, merged back at run time, validated."""

import json
import typing
from pathlib import Path

import pytest
import yaml

from pipelines.run_params import (
    FAMILIES,
    RUN_PARAMETERS,
    SECTIONS,
    merge_params_json,
    merge_run_parameters,
    run_parameter_defaults,
    validate_params,
)
from soccerpredict import params as params_module
from soccerpredict.errors import ConfigError
from soccerpredict.params import TuningParams, compose_params

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def smoke() -> dict[str, typing.Any]:
    return compose_params("smoke")


def test_every_params_section_has_its_model() -> None:
    models = {name for name in params_module.__all__ if name.endswith("Params")}
    assert {model.__name__ for model in SECTIONS.values()} == models
    assert set(compose_params("default")) == {*SECTIONS, "experiment"}


def test_the_families_are_the_tuning_models() -> None:
    (literal,) = typing.get_args(TuningParams.model_fields["models"].annotation)
    assert set(typing.get_args(literal)) == set(FAMILIES)


def test_defaults_are_the_composed_values(smoke: dict[str, typing.Any]) -> None:
    defaults = run_parameter_defaults(smoke)
    assert list(defaults) == list(RUN_PARAMETERS)
    assert defaults["experiment"] == "smoke"
    assert defaults["test_seasons"] == smoke["split"]["test_seasons"]
    assert defaults["track"] == smoke["features"]["track"]
    assert defaults["models"] == smoke["tuning"]["models"]
    assert defaults["calibration_method"] == smoke["calibration"]["method"]
    assert {defaults[f"n_trials_{f}"] for f in FAMILIES} == {smoke["tuning"]["n_trials"]}


def test_trials_default_to_the_per_family_override(smoke: dict[str, typing.Any]) -> None:
    params = {**smoke, "tuning": {**smoke["tuning"], "n_trials_by_model": {"hgb": 5}}}
    defaults = run_parameter_defaults(params)
    assert defaults["n_trials_hgb"] == 5
    assert defaults["n_trials_xgb"] == smoke["tuning"]["n_trials"]


def test_merging_the_defaults_changes_nothing(smoke: dict[str, typing.Any]) -> None:
    assert merge_run_parameters(smoke, run_parameter_defaults(smoke)) == smoke


def test_merge_writes_each_parameter_into_its_section(smoke: dict[str, typing.Any]) -> None:
    values = {
        **run_parameter_defaults(smoke),
        "experiment": "wide",
        "test_seasons": ["2223", "2324"],
        "track": "stats_only",
        "models": ["xgb"],
        "calibration_method": "temperature",
        "n_trials_xgb": 40,
    }
    merged = merge_run_parameters(smoke, values)
    assert merged["experiment"] == "wide"
    assert merged["split"]["test_seasons"] == ["2223", "2324"]
    assert merged["features"]["track"] == "stats_only"
    assert merged["tuning"]["models"] == ["xgb"]
    assert merged["calibration"]["method"] == "temperature"
    assert merged["tuning"]["n_trials_by_model"] == {"xgb": 40}  # hgb and logreg keep n_trials
    assert TuningParams.model_validate(merged["tuning"]).trials_for("hgb") == smoke["tuning"]["n_trials"]
    assert smoke["split"]["test_seasons"] != merged["split"]["test_seasons"]  # the input is not mutated


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("track", "odds_only", r"features\.track: .*'stats_only' or 'market_aware'.*run parameter track"),
        ("calibration_method", "platt", r"calibration\.method: .*run parameter calibration_method"),
        ("models", ["xgb", "svm"], r"tuning\.models\.1: .*run parameter models"),
        ("test_seasons", [2324], r"split\.test_seasons\.0: .*string.*run parameter test_seasons"),
        ("n_trials_logreg", -3, r"n_trials_by_model.*negative.*run parameter n_trials_<family>"),
        ("experiment", 7, r"experiment must be a string"),
    ],
)
def test_a_bad_value_fails_with_the_field_and_the_parameter(
    smoke: dict[str, typing.Any], name: str, value: typing.Any, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        merge_run_parameters(smoke, {name: value})


def test_unknown_run_parameters_and_sections_are_rejected(smoke: dict[str, typing.Any]) -> None:
    with pytest.raises(ConfigError, match=r"unknown run parameter\(s\) \['n_trials_svm'\]; known: \['experiment'"):
        merge_run_parameters(smoke, {"n_trials_svm": 3})
    with pytest.raises(ConfigError, match=r"unknown section\(s\) \['tunning'\]"):
        validate_params({**smoke, "tunning": {}})


def test_the_checked_in_params_validate() -> None:
    validate_params(yaml.safe_load((REPO / "params.yaml").read_text()))


def test_merge_params_json_is_what_the_first_task_returns(smoke: dict[str, typing.Any]) -> None:
    out = merge_params_json(json.dumps(smoke), track="stats_only")
    assert json.loads(out)["features"]["track"] == "stats_only"
    with pytest.raises(ConfigError, match="params_json is not JSON"):
        merge_params_json("{not json", track="stats_only")
    with pytest.raises(ConfigError, match="JSON object"):
        merge_params_json("[1, 2]")
