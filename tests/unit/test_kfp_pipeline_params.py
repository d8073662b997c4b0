"""The compiled pipeline's typed parameters and its first task, merge-params, which every stage reads."""

import json
import typing
from pathlib import Path

import pytest
import yaml

from components.stages import STAGES
from pipelines.run_params import RUN_PARAMETERS, run_parameter_defaults
from soccerpredict.params import compose_params

KFP_TYPES = {
    "params_json": "STRING",
    "experiment": "STRING",
    "test_seasons": "LIST",
    "track": "STRING",
    "models": "LIST",
    "calibration_method": "STRING",
    "n_trials_xgb": "NUMBER_INTEGER",
    "n_trials_hgb": "NUMBER_INTEGER",
    "n_trials_logreg": "NUMBER_INTEGER",
}


@pytest.fixture(scope="module")
def smoke() -> dict[str, typing.Any]:
    return compose_params("smoke")


@pytest.fixture(scope="module")
def spec(smoke: dict[str, typing.Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, typing.Any]:
    from pipelines.kfp_pipeline import compile_pipeline

    out = compile_pipeline(smoke, out=tmp_path_factory.mktemp("kfp") / "p.yaml", image="example.local/sp:test")
    return next(iter(yaml.safe_load_all(out.read_text())))


def test_the_pipeline_parameters_are_typed_with_the_params_as_defaults(
    spec: dict[str, typing.Any], smoke: dict[str, typing.Any]
) -> None:
    declared = spec["root"]["inputDefinitions"]["parameters"]
    assert {name: d["parameterType"] for name, d in declared.items()} == KFP_TYPES
    assert set(KFP_TYPES) == {"params_json", *RUN_PARAMETERS}
    assert json.loads(declared["params_json"]["defaultValue"]) == smoke
    for name, value in run_parameter_defaults(smoke).items():
        assert declared[name]["defaultValue"] == value, name  # YAML writes ints as 2.0: equal all the same


def test_merge_params_runs_first_and_feeds_every_stage(spec: dict[str, typing.Any]) -> None:
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"merge-params", *(s.name.replace("_", "-") for s in STAGES)}
    merge_inputs = tasks["merge-params"]["inputs"]["parameters"]
    assert {name: i["componentInputParameter"] for name, i in merge_inputs.items()} == {k: k for k in KFP_TYPES}
    for stage in STAGES:
        task = tasks[stage.name.replace("_", "-")]
        source = task["inputs"]["parameters"]["params_json"]["taskOutputParameter"]
        assert source == {"outputParameterKey": "Output", "producerTask": "merge-params"}, stage.name


@pytest.mark.filterwarnings("ignore:You may be attemping to run a task that uses custom:RuntimeWarning")
def test_a_bad_run_parameter_fails_the_first_task_with_the_reason(
    smoke: dict[str, typing.Any], tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from kfp import dsl, local

    from pipelines.components import merge_params

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root=str(tmp_path))
    component = dsl.component(func=merge_params, base_image="example.local/sp:test", install_kfp_package=False)
    values = {**run_parameter_defaults(smoke), "track": "odds_only", "n_trials_xgb": 3}
    with pytest.raises(RuntimeError, match="FAILURE"):
        component(params_json=json.dumps(smoke), **values)
    logged = "".join(capfd.readouterr())  # kfp.local streams the task's log to stdout
    assert "features.track: Input should be 'stats_only' or 'market_aware', got 'odds_only'" in logged
    ok = component(params_json=json.dumps(smoke), **{**values, "track": "stats_only"})
    merged = json.loads(ok.output)
    assert merged["features"]["track"] == "stats_only"
    assert merged["tuning"]["n_trials_by_model"] == {"xgb": 3}
