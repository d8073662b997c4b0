"""One stage table drives the CLI, dvc.yaml and the Kubeflow pipeline: check they agree."""

import inspect
import typing
from pathlib import Path

import pytest

from components.stages import DRIFT, INFERENCE, STAGES, TAGS, external_inputs, stage_by_name, tagged
from pipelines.dvc import render_dvc_yaml
from pipelines.stage_sets import STAGE_SETS, render_stage_sets
from soccerpredict.errors import PipelineError
from soccerpredict.settings import Settings

REPO = Path(__file__).resolve().parents[2]


def test_every_input_is_produced_by_an_earlier_stage() -> None:
    produced: set[str] = set()
    for stage in STAGES:
        assert set(stage.inputs.values()) <= produced, f"{stage.name} reads something not yet produced"
        assert not set(stage.outputs.values()) & produced, f"{stage.name} overwrites an earlier output"
        produced |= set(stage.outputs.values())


def test_stage_names_are_unique_and_functions_import() -> None:
    assert len({s.name for s in STAGES}) == len(STAGES)
    for stage in STAGES:
        params = inspect.signature(stage.load()).parameters
        # Besides its paths and params sections, a stage may ask for the settings the orchestrator passes in.
        assert set(params) - {"settings"} == {*stage.inputs, *stage.outputs, *stage.params}, stage.name
        if "settings" in params:
            assert typing.get_type_hints(stage.load())["settings"] is Settings, stage.name


def test_unknown_stage_names_the_known_ones() -> None:
    with pytest.raises(PipelineError, match="validate_raw"):
        stage_by_name("validate_everything")


def test_kfp_wrappers_match_the_table() -> None:
    from pipelines.components import WRAPPERS

    assert list(WRAPPERS) == [s.name for s in STAGES]
    for stage in STAGES:
        params = set(inspect.signature(WRAPPERS[stage.name]).parameters) - {"params_json"}
        assert {*stage.inputs, *stage.outputs} <= params, stage.name


def test_checked_in_dvc_yaml_is_current() -> None:
    assert (REPO / "dvc.yaml").read_text() == render_dvc_yaml(), "run `soccerpredict pipeline dvc-yaml`"


def test_checked_in_stage_sets_are_current() -> None:
    assert STAGE_SETS.read_text() == render_stage_sets(), "run `soccerpredict pipeline stage-sets`"


def test_every_tag_is_a_known_one_and_tags_a_stage() -> None:
    assert {tag for stage in STAGES for tag in stage.tags} == set(TAGS)


def test_unknown_tag_names_the_known_ones() -> None:
    with pytest.raises(PipelineError, match="no stage tag 'nope'; tags: inference, drift"):
        tagged("nope")


def test_tagged_stages_keep_the_table_order_and_read_only_what_an_earlier_one_writes_or_another_run_gives() -> None:
    assert [s.name for s in tagged(INFERENCE)] == [s.name for s in STAGES if INFERENCE in s.tags]
    # The inference DAG scores with the registry's champion, so it needs no file of a training run (batch_inference
    # runs after promote_model without reading its report); the drift DAG copies the training reference.
    assert external_inputs(tagged(INFERENCE)) == []
    assert stage_by_name("batch_inference").after == ("promote_model",)
    assert external_inputs(tagged(DRIFT)) == [stage_by_name("monitor_drift").inputs["train"]] == ["split/train.parquet"]


def test_compiled_pipeline_is_current_and_loads_back(tmp_path: Path) -> None:
    from kfp import components

    from pipelines.kfp_pipeline import compile_pipeline
    from soccerpredict.params import compose_params

    fresh = compile_pipeline(compose_params("cluster"), out=tmp_path / "p.yaml")
    checked_in = REPO / "pipelines" / "soccer_1x2.yaml"
    assert checked_in.read_text() == fresh.read_text(), "run `make pin` (soccerpredict pipeline compile)"
    loaded = components.load_component_from_file(str(checked_in))
    assert loaded.name == "soccer-1x2"


def test_checked_in_params_match_the_default_experiment() -> None:
    from soccerpredict.params import compose_params, load_params

    assert load_params(REPO / "params.yaml") == compose_params("default"), "run `soccerpredict params compose`"


def test_gates_run_before_the_stages_that_trust_them() -> None:
    order = [s.name for s in STAGES]
    for stage in STAGES:
        for gate in stage.after:
            assert order.index(gate) < order.index(stage.name)
    assert {"validate_raw", "validate_finished", "validate_future", "validate_features"} <= {
        gate for s in STAGES for gate in s.after
    }
