"""Long work shows where it is: `pipeline run` shows stage n/22 and its name, `backtest` a bar per forecaster;
with --json both displays are on stderr and stdout stays one JSON document."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress
from typer.testing import CliRunner

import components.stages
from components.stages import STAGES
from pipelines.sequential import run_sequential
from soccerpredict.cli import app
from soccerpredict.cli.progress import StageProgress, StudyBars
from soccerpredict.models.study import StudyProgress
from soccerpredict.settings import Settings


@pytest.fixture
def stages_run(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Stages that only record that they ran (run_sequential looks the runner up when it is called)."""
    ran: list[str] = []

    def run(stage: Any, *, paths: Any, params: Any, settings: Any) -> dict[str, Any]:
        ran.append(stage.name)
        return {"stage": stage.name, "seconds": 0.0}

    monkeypatch.setattr(components.stages, "run_table_stage", run)
    return ran


def quiet_progress() -> Progress:
    return Progress(console=Console(file=io.StringIO(), width=120))


def test_run_sequential_announces_each_stage_by_number_before_it_runs(stages_run: list[str], tmp_path: Path) -> None:
    events: list[tuple[Any, ...]] = []

    def started(number: int, total: int, name: str) -> None:
        assert len(stages_run) == number - 1, "announced before it runs"
        events.append(("start", number, total, name))

    summaries = run_sequential(
        {}, tmp_path, settings=Settings(), on_start=started, on_stage=lambda s: events.append(("done", s["stage"]))
    )

    assert len(STAGES) == 22
    expected: list[tuple[Any, ...]] = []
    for number, stage in enumerate(STAGES, start=1):
        expected += [("start", number, 22, stage.name), ("done", stage.name)]
    assert events == expected
    assert [s["stage"] for s in summaries] == stages_run == [stage.name for stage in STAGES]


def test_stage_progress_shows_the_stage_number_and_name_and_counts_finished_stages() -> None:
    with quiet_progress() as progress:
        shown = StageProgress(progress)
        shown.start(1, 22, "load_data_from_sources")
        (task,) = progress.tasks
        assert (task.description, task.completed, task.total) == ("stage 1/22 load_data_from_sources", 0, 22)
        shown.finish({})
        shown.start(2, 22, "validate_raw")
        assert len(progress.tasks) == 1, "one line, reused for every stage"
        assert (task.description, task.completed) == ("stage 2/22 validate_raw", 1)
        for number in range(3, 23):
            shown.finish({})
            shown.start(number, 22, f"s{number}")
        shown.finish({})
        assert (task.description, task.completed, task.finished) == ("stage 22/22 s22", 22, True)


def test_pipeline_run_json_is_one_document_on_stdout_and_the_stage_display_on_stderr(
    stages_run: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["pipeline", "run", "--workdir", str(tmp_path / "artifacts"), "--json"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["artifacts"] == str(tmp_path / "artifacts")
    assert [s["stage"] for s in data["stages"]] == [stage.name for stage in STAGES]
    assert "stage 22/22 monitor_drift" in result.stderr
    assert "stage " not in result.stdout.replace('"stage"', "")


def test_pipeline_run_without_json_shows_the_stages_and_where_the_artifacts_are(
    stages_run: list[str], tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["pipeline", "run", "--workdir", str(tmp_path / "artifacts")])

    assert result.exit_code == 0, result.output
    assert "stage 22/22 monitor_drift" in result.stdout
    assert f"pipeline finished; artifacts under {tmp_path / 'artifacts'}" in result.stdout.replace("\n", "")


def walk(name: str, done: int, season: str | None, total: int = 2) -> StudyProgress:
    return StudyProgress("walk_forward", f"{name} {season}", name, season, done, total)


def test_study_bars_count_each_forecasters_seasons_on_its_own_bar() -> None:
    with quiet_progress() as progress:
        bars = StudyBars(progress)
        bars(StudyProgress("features", "building features for 1,520 finished matches"))
        bars(walk("model:stats_only", 0, None))
        bars(walk("model:stats_only", 1, "2223"))
        bars(walk("climatology", 0, None))
        assert set(bars.bars) == {"model:stats_only", "climatology"}
        stats = progress.tasks[bars.bars["model:stats_only"]]
        assert (stats.description, stats.completed, stats.total) == ("model:stats_only 2223", 1, 2)
        bars(walk("model:stats_only", 2, "2324"))
        bars(StudyProgress("compare", "comparing with the closing market (paired bootstrap)"))
        assert len(progress.tasks) == 2, "steps around the walk-forward are lines, not bars"
        assert stats.finished and not progress.tasks[bars.bars["climatology"]].finished
        printed = progress.console.file.getvalue()  # type: ignore[attr-defined]
    assert "building features for 1,520 finished matches" in printed
    assert "comparing with the closing market" in printed
