"""The displays of long work: a pipeline run's stage n/22 and a backtest's bar per forecaster."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from soccerpredict.cli.output import console

if TYPE_CHECKING:  # the study imports numpy and pandas: only the backtest command loads it
    from soccerpredict.models.study import StudyProgress
    from soccerpredict.settings import Settings

__all__ = ["StageProgress", "StudyBars", "run_stages", "stage_progress"]


class StageProgress:
    """The display of a pipeline run: stage n/22, its name and how long it has been running, on one bar."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def start(self, number: int, total: int, name: str) -> None:
        """Stage ``number`` of ``total`` starts (pipelines.sequential's ``on_start``)."""
        description = f"stage {number}/{total} {name}"
        if self._task is None:
            self._task = self._progress.add_task(description, total=total, completed=number - 1)
        else:  # reset restarts the clock: the elapsed time shown is the stage's own
            self._progress.reset(self._task, total=total, completed=number - 1, description=description)

    def finish(self, summary: dict[str, Any]) -> None:
        """A stage has finished (pipelines.sequential's ``on_stage``)."""
        if self._task is not None:
            self._progress.advance(self._task)


def stage_progress() -> Progress:
    """The progress display :class:`StageProgress` draws on."""
    return Progress(
        TextColumn("{task.description:<40}"), BarColumn(), TimeElapsedColumn(), console=console, transient=False
    )


def run_stages(params: dict[str, Any], workdir: Path, settings: Settings) -> list[dict[str, Any]]:
    """Every stage of the table in this process, under a stage n/22 display; the stages' summaries."""
    from pipelines.sequential import run_sequential

    with stage_progress() as progress:
        shown = StageProgress(progress)
        return run_sequential(params, workdir, settings=settings, on_start=shown.start, on_stage=shown.finish)


class StudyBars:
    """The display of a backtest (a :class:`~soccerpredict.models.study.StudyProgress` stream): one bar per
    forecaster over the test seasons, labelled with the season it last predicted; other steps as lines."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self.bars: dict[str, TaskID] = {}

    def __call__(self, step: StudyProgress) -> None:
        if step.step != "walk_forward" or step.forecaster is None:
            self._progress.console.print(step.message, highlight=False)
            return
        if step.forecaster not in self.bars:
            self.bars[step.forecaster] = self._progress.add_task(step.forecaster, total=step.total)
        label = f"{step.forecaster} {step.season}" if step.season else step.forecaster
        self._progress.update(self.bars[step.forecaster], completed=step.done, total=step.total, description=label)
