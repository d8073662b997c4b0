"""`--json`: one JSON document on stdout, with stable keys, and what people read on stderr (or nowhere)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from soccerpredict.cli import app

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample" / "football-data"
INGEST_KEYS = {"files", "outcomes", "rejections_by_rule", "rejections_csv", "seconds", "totals"}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh SOCCER_HOME and SQLite database under tmp_path."""
    monkeypatch.setenv("SOCCER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SOCCER_DB_URL", f"sqlite:///{tmp_path / 'soccer.db'}")
    return tmp_path


def _json(args: list[str]) -> tuple[object, str]:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_ingest_football_data_json_is_the_summary_and_the_table_goes_to_stderr(env: Path) -> None:
    summary, stderr = _json(["ingest", "football-data", str(SAMPLE / "SP1" / "2324.csv"), "--json"])

    assert isinstance(summary, dict) and set(summary) == INGEST_KEYS
    assert summary["files"] == {"loaded": 1, "unchanged": 0, "failed": 0}
    assert summary["totals"]["matches_inserted"] == 380
    (outcome,) = summary["outcomes"]
    assert outcome["div"] == "SP1" and outcome["season"] == "2324" and outcome["status"] == "loaded"
    assert outcome["error"] is None and outcome["matches_inserted"] == 380
    assert Path(summary["rejections_csv"]).is_file()
    assert "ingestion: 1 files" not in stderr  # the summary table is replaced by the JSON, not duplicated
    again, _ = _json(["ingest", "football-data", str(SAMPLE / "SP1" / "2324.csv"), "--json"])
    assert isinstance(again, dict) and again["files"] == {"loaded": 0, "unchanged": 1, "failed": 0}


def test_without_json_the_summary_table_is_on_stdout(env: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "football-data", str(SAMPLE / "SP1" / "2324.csv")])

    assert result.exit_code == 0, result.output
    assert "matches inserted" in result.stdout and "380" in result.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.stdout)


def test_a_file_that_fails_is_in_the_json_and_the_exit_code_is_1(env: Path) -> None:
    broken = env / "E0" / "2324.csv"
    broken.parent.mkdir()
    broken.write_text("not,a,football-data,file\n1,2,3,4\n")

    result = CliRunner().invoke(app, ["ingest", "football-data", str(broken), "--json"])

    assert result.exit_code == 1
    summary = json.loads(result.stdout)
    assert summary["files"] == {"loaded": 0, "unchanged": 0, "failed": 1}
    (outcome,) = summary["outcomes"]
    assert outcome["status"] == "failed" and outcome["error"]
    assert str(broken) in result.stderr  # the failure, for people, on stderr


def test_nothing_to_ingest_is_a_one_line_error_with_nothing_on_stdout(env: Path) -> None:
    result = CliRunner().invoke(app, ["ingest", "football-data", str(env), "--json"])

    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("error: no .csv files under the folder") and result.stderr.count("\n") == 1


def test_db_report_json_lists_the_log(env: Path) -> None:
    CliRunner().invoke(app, ["ingest", "football-data", str(SAMPLE / "SP1" / "2324.csv")])

    rows, _ = _json(["db", "report", "--json"])

    assert isinstance(rows, list) and len(rows) == 1
    row = rows[0]
    assert set(row) == {
        "div",
        "error",
        "finished_at",
        "odds_rejected",
        "outcome",
        "rows_loaded",
        "rows_rejected",
        "season",
        "source",
    }
    assert (row["div"], row["season"], row["outcome"], row["rows_loaded"]) == ("SP1", "2324", "loaded", 380)
    assert datetime.fromisoformat(row["finished_at"]).tzinfo is not None


def test_pipeline_stages_json_is_the_stage_table() -> None:
    from components.stages import STAGES

    stages, _ = _json(["pipeline", "stages", "--json"])

    assert isinstance(stages, list)
    assert [s["name"] for s in stages] == [spec.name for spec in STAGES]
    assert stages[0] == {
        "number": 1,
        "name": STAGES[0].name,
        "reads": list(STAGES[0].inputs.values()),
        "writes": list(STAGES[0].outputs.values()),
        "params": list(STAGES[0].params),
    }


def test_pipeline_stages_tag_lists_the_tagged_stages_with_their_table_numbers() -> None:
    from components.stages import DRIFT, STAGES

    stages, _ = _json(["pipeline", "stages", "--tag", DRIFT, "--json"])

    assert [s["name"] for s in stages] == [spec.name for spec in STAGES if DRIFT in spec.tags]
    assert [s["number"] for s in stages] == [n for n, spec in enumerate(STAGES, start=1) if DRIFT in spec.tags]


def test_pipeline_stages_unknown_tag_names_the_known_ones() -> None:
    result = CliRunner().invoke(app, ["pipeline", "stages", "--tag", "nope"])

    assert result.exit_code == 1
    assert "no stage tag 'nope'" in result.output and "inference, drift" in result.output


def test_registry_list_json(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    versions = [
        {
            "version": "2",
            "aliases": ["champion"],
            "created": "2026-01-02T00:00:00+00:00",
            "run_id": "r",
            "rejected": None,
        }
    ]
    monkeypatch.setattr("soccerpredict.registry.promotion.list_versions", lambda uri: versions)

    listed, _ = _json(["registry", "list", "--json"])

    assert listed == versions


def test_should_retrain_json_is_the_decision_alone(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("soccerpredict.registry.mlflow_log.use_tracking", lambda uri: None)
    monkeypatch.setattr(
        "soccerpredict.registry.retrain.champion_registered_at", lambda: ("3", datetime(2026, 1, 1, tzinfo=UTC))
    )
    monkeypatch.setattr("soccerpredict.registry.retrain.finished_since", lambda engine, since: 250)
    monkeypatch.setattr("soccerpredict.registry.retrain.published_drift_share", lambda store: 0.1)

    decision, stderr = _json(["pipeline", "should-retrain", "--json"])

    assert decision == {
        "champion_version": "3",
        "drifted_share": 0.1,
        "new_matches": 250,
        "reasons": [decision["reasons"][0]],  # type: ignore[index]
        "retrain": True,
    }
    assert "250" in decision["reasons"][0]  # type: ignore[index]
    assert stderr == ""
    human = CliRunner().invoke(app, ["pipeline", "should-retrain"])
    assert human.exit_code == 0 and human.stdout.startswith("retrain: ") and "{" not in human.stdout


def test_export_raw_json_names_the_snapshot(env: Path) -> None:
    CliRunner().invoke(app, ["ingest", "football-data", str(SAMPLE / "SP1" / "2324.csv")])

    snapshot, _ = _json(["export", "raw", "--date", "2024-05-01", "--json"])

    assert isinstance(snapshot, dict)
    assert set(snapshot) == {"day", "manifest_uri", "matches", "matches_uri", "odds", "odds_uri"}
    assert snapshot["day"] == "2024-05-01" and snapshot["matches"] == 380


def test_a_command_after_a_json_one_prints_for_people_on_stdout_again(env: Path) -> None:
    _json(["pipeline", "stages", "--json"])

    result = CliRunner().invoke(app, ["pipeline", "stages"])

    assert result.exit_code == 0 and "stage" in result.stdout and "reads" in result.stdout


def test_json_sorts_keys_so_the_output_is_stable() -> None:
    result = CliRunner().invoke(app, ["pipeline", "stages", "--json"])

    first = json.loads(result.stdout)[0]
    assert list(first) == sorted(first)
    assert result.stdout.count("\n") == 1  # one document on one line
