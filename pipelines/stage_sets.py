"""Generate ``airflow/dags/stage_sets.json`` from the stage table's tags (a test fails when it is stale).

The DAGs cannot import the project (Airflow has its own environment), and asking the CLI at parse time would
start the project's interpreter every time the DAG processor parses a file: they read this small file instead.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from components.stages import TAGS, external_inputs, tagged

__all__ = ["STAGE_SETS", "render_stage_sets", "stage_sets", "write_stage_sets"]

STAGE_SETS = Path(__file__).resolve().parents[1] / "airflow" / "dags" / "stage_sets.json"
NOTE = "Generated from components/stages.py by `soccerpredict pipeline stage-sets`; do not edit."


def stage_sets() -> dict[str, Any]:
    """Per tag: its stages in the table's order, and the artifacts they read that none of them writes."""
    sets: dict[str, Any] = {"note": NOTE}
    for tag in TAGS:
        stages = tagged(tag)
        sets[tag] = {"stages": [stage.name for stage in stages], "external_inputs": external_inputs(stages)}
    return sets


def render_stage_sets() -> str:
    """stage_sets.json as text, exactly as checked in."""
    return json.dumps(stage_sets(), indent=2) + "\n"


def write_stage_sets(path: Path = STAGE_SETS) -> Path:
    """Write stage_sets.json."""
    path.write_text(render_stage_sets())
    return path
