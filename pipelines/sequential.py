"""The orchestrator-free run: every stage of the table, in order, in this process (what `make run` uses).

The same stage functions and paths as under DVC (``<workdir>/<artifact name>``); a stage that fails
stops the run with its error and leaves the artifacts of the stages before it in place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soccerpredict.settings import Settings

__all__ = ["run_sequential"]


def run_sequential(
    params: Mapping[str, Any],
    workdir: Path,
    *,
    settings: Settings,
    on_start: Callable[[int, int, str], None] | None = None,
    on_stage: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run all stages over ``workdir`` and return each stage's summary, in order.

    Args:
        on_start: called with ``(number, total, name)`` as stage ``number`` (from 1) of ``total`` starts.
        on_stage: called with each stage's summary when it has finished.
    """
    from components.stages import STAGES, run_table_stage

    workdir.mkdir(parents=True, exist_ok=True)
    summaries = []
    for number, stage in enumerate(STAGES, start=1):
        if on_start is not None:
            on_start(number, len(STAGES), stage.name)
        summary = run_table_stage(stage, paths=stage.paths_under(workdir), params=params, settings=settings)
        summaries.append(summary)
        if on_stage is not None:
            on_stage(summary)
    return summaries
