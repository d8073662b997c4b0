"""What a stage is, and how one runs: the same call under the CLI, DVC and Kubeflow Pipelines."""

from __future__ import annotations

import importlib
import inspect
import time
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from rich.console import Console

from soccerpredict.errors import PipelineError

if TYPE_CHECKING:
    from soccerpredict.settings import Settings

__all__ = ["Stage", "console", "run_stage_function"]

console = Console(stderr=True)


@dataclass(frozen=True, slots=True)
class Stage:
    """One pipeline stage: a function over named input and output paths plus one params section.

    ``inputs`` and ``outputs`` map the function's keyword arguments to artifact names; an artifact
    name is also its path relative to the pipeline's work folder (``artifacts/`` under DVC) and the
    name of the KFP output that carries it. Every input is some earlier stage's output.

    ``tags`` name the subsets of the table that the daily DAGs run, each in the table's order; the DAGs read
    them from ``airflow/dags/stage_sets.json``, which ``soccerpredict pipeline stage-sets`` writes from the
    table (``soccerpredict pipeline stages --tag NAME`` lists one):

    - ``inference``: ``batch_inference_daily``, today's data through two gates and the features, then scoring
      with the champion and the cards;
    - ``drift``: ``drift_daily``, today's features, then their drift against the training reference (the one
      artifact of the set that none of its stages writes, copied from the last training run).
    """

    name: str
    function: str  # "module:function", imported only when the stage runs
    inputs: Mapping[str, str] = field(default_factory=dict)
    outputs: Mapping[str, str] = field(default_factory=dict)
    params: tuple[str, ...] = ()  # sections of params.yaml the stage reads
    side_effects: bool = False  # touches state outside its outputs (database, registry, store): never cached
    always_changed: bool = False  # reads state DVC cannot hash (the database): DVC re-runs it every time
    code: tuple[str, ...] = ()  # library folders whose changes must re-run the stage under DVC
    after: tuple[str, ...] = ()  # stages that must finish first without handing it a file (gates, promotion)
    tags: tuple[str, ...] = ()  # subsets of the table other schedules run (see above)
    description: str = ""

    def paths_under(self, workdir: Path) -> dict[str, Path]:
        """Each of its artifacts' path in a work folder (``<workdir>/<artifact name>``), by artifact name."""
        return {name: workdir / name for name in [*self.inputs.values(), *self.outputs.values()]}

    def load(self) -> Callable[..., Any]:
        """Import the stage function."""
        module, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(module), attribute)


def run_stage_function(
    stage: Stage, *, paths: Mapping[str, Path], params: Mapping[str, Any], settings: Settings
) -> dict[str, Any]:
    """Run one stage with resolved paths (by artifact name) and its params sections; return its summary.

    ``settings`` (built once by the orchestrator) is passed to a stage function that has a ``settings``
    parameter. Recording the pipeline run's status is the table's job (:func:`components.stages.run_table_stage`).
    """
    missing = [name for name in stage.inputs.values() if not paths[name].exists()]
    if missing:
        raise PipelineError(f"stage {stage.name}: missing input(s) {missing}; run the stages that produce them first")
    for name in stage.outputs.values():
        paths[name].parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {arg: paths[name] for arg, name in {**stage.inputs, **stage.outputs}.items()}
    function = stage.load()
    kwargs.update(_typed_params(function, stage, params))
    if "settings" in inspect.signature(function).parameters:
        kwargs["settings"] = settings
    console.rule(f"[bold]{stage.name}[/]  {stage.description}")
    start = time.perf_counter()
    summary = function(**kwargs) or {}
    seconds = time.perf_counter() - start
    console.print(f"[green]{stage.name} done[/] in {seconds:.1f} s")
    return {"stage": stage.name, "seconds": round(seconds, 2), **summary}


def _typed_params(function: Callable[..., Any], stage: Stage, params: Mapping[str, Any]) -> dict[str, Any]:
    """Each params section, validated into the pydantic model the stage function's signature asks for."""
    hints = typing.get_type_hints(function)
    typed: dict[str, Any] = {}
    for section in stage.params:
        raw = params.get(section, {})
        model = hints.get(section)
        try:
            typed[section] = model.model_validate(raw) if model is not None and _is_model(model) else raw
        except ValidationError as exc:
            raise PipelineError(f"stage {stage.name}: params section {section!r} is invalid:\n{exc}") from exc
    return typed


def _is_model(hint: Any) -> bool:
    return isinstance(hint, type) and issubclass(hint, BaseModel)
