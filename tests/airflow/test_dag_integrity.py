"""Every DAG imports without errors and has the structure, schedule, retries, timeouts, tags and docs it claims."""

from __future__ import annotations

from datetime import timedelta

import pytest

EXPECTED = {
    "football_data_daily": ("0 6 * * *", {"plan": set(), "ingest": {"plan"}, "export_raw": {"ingest"}}),
    "odds_refresh": ("0 */6 * * *", {"refresh_odds": set()}),
    "whoscored_matches": ("0 5 * * *", {"plan": set(), "scrape": {"plan"}}),
    "data_quality_daily": (
        "30 7 * * *",
        {
            "load_data_from_sources": set(),
            "validate_raw": {"load_data_from_sources"},
            "publish_report": {"validate_raw"},
        },
    ),
    "retrain": ("0 8 * * *", {"should_retrain": set(), "train": {"should_retrain"}}),
    "batch_inference_daily": (
        "0 9 * * *",
        {
            "load_data_from_sources": set(),
            "validate_raw": {"load_data_from_sources"},
            "preprocessing": {"validate_raw"},
            "validate_future": {"preprocessing"},
            "feature_engineering": {"validate_future"},
            "batch_inference": {"feature_engineering"},
            "build_cards": {"batch_inference"},
        },
    ),
    "drift_daily": (
        "0 10 * * *",
        {
            "copy_reference": set(),
            "load_data_from_sources": {"copy_reference"},
            "preprocessing": {"load_data_from_sources"},
            "feature_engineering": {"preprocessing"},
            "monitor_drift": {"feature_engineering"},
            "read_back_from_facade": {"monitor_drift"},
        },
    ),
}


def test_every_dag_imports_without_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert set(EXPECTED) <= set(dagbag.dag_ids)


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_structure_and_schedule(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    schedule, upstream = EXPECTED[dag_id]
    dag = dagbag.get_dag(dag_id)

    assert dag.timetable.expression == schedule
    assert dag.catchup is False
    assert {t.task_id: set(t.upstream_task_ids) for t in dag.tasks} == upstream


@pytest.mark.parametrize("dag_id", sorted(EXPECTED))
def test_dag_has_tags_docs_retries_and_timeouts(dagbag, dag_id: str) -> None:  # type: ignore[no-untyped-def]
    dag = dagbag.get_dag(dag_id)

    assert "soccerpredict" in dag.tags
    assert dag.doc_md and dag_id in dag.doc_md
    assert dag.max_active_runs == 1
    for task in dag.tasks:
        assert task.execution_timeout is not None and task.execution_timeout <= timedelta(hours=6), task.task_id
        assert task.retries >= (0 if dag_id == "retrain" else 1), task.task_id


def test_dag_files_import_nothing_of_the_project(dagbag) -> None:  # type: ignore[no-untyped-def]
    import sys

    # The project lives in the main environment; parsing the DAGs must not have pulled it (or its ML stack) in.
    heavy = {"soccerpredict", "components", "serving", "pandas", "sklearn", "mlflow", "kserve"}
    assert heavy.isdisjoint({name.split(".")[0] for name in sys.modules})


@pytest.mark.parametrize(("dag_id", "tag"), [("batch_inference_daily", "inference"), ("drift_daily", "drift")])
def test_stage_dags_run_their_tagged_stage_set_in_order(dagbag, dag_id: str, tag: str) -> None:  # type: ignore[no-untyped-def]
    from soccer_common import stage_set

    dag = dagbag.get_dag(dag_id)
    ids = [t.task_id for t in dag.tasks]

    assert [i for i in ids if i in stage_set(tag)["stages"]] == stage_set(tag)["stages"]


def test_a_missing_stage_set_fails_the_parse_with_what_to_run(dagbag, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from soccer_common import stage_set

    with pytest.raises(RuntimeError, match=r"no stage set 'drift'(.|\n)*soccerpredict pipeline stage-sets"):
        stage_set("drift", path=tmp_path / "stage_sets.json")
    (tmp_path / "stage_sets.json").write_text('{"inference": {"stages": [], "external_inputs": []}}')
    with pytest.raises(RuntimeError, match="no stage set 'drift'"):
        stage_set("drift", path=tmp_path / "stage_sets.json")
