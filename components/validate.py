"""The four validation-gate stages: each writes its report, then stops the pipeline if the gate failed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from soccerpredict.params import ValidationParams

__all__ = ["validate_features", "validate_finished", "validate_future", "validate_raw"]


def _write(report: Path, result: Any) -> dict[str, Any]:
    """Keep the gate's JSON report as an artefact, print its summary, then enforce it."""
    from soccerpredict.validation.gates import enforce

    payload = {
        "gate": result.gate,
        "success": result.success,
        "rows": result.rows,
        "failures": [str(f) for f in result.failures],
        "great_expectations": result.report,
    }
    report.write_text(json.dumps(payload, indent=2, default=str))
    from components.stage import console

    console.print(result.summary())
    enforce(result)
    return {"gate": result.gate, "rows": result.rows, "passed": result.success}


def validate_raw(*, matches: Path, report: Path) -> dict[str, Any]:
    """Gate 1: every loaded match has an identity, distinct teams, a plausible score and plausible odds."""
    from soccerpredict.validation.gates import raw_gate

    return _write(report, raw_gate(pd.read_parquet(matches)))


def validate_finished(*, finished: Path, split_info: Path, report: Path) -> dict[str, Any]:
    """Gate 2: finished matches are complete, consistent and not in the future."""
    from soccerpredict.validation.gates import finished_gate

    as_of = pd.Timestamp(json.loads(split_info.read_text())["as_of"])
    return _write(report, finished_gate(pd.read_parquet(finished), as_of=as_of))


def validate_future(*, future: Path, split_info: Path, report: Path) -> dict[str, Any]:
    """Gate 3: fixtures to predict have no result and are not in the past."""
    from soccerpredict.validation.gates import future_gate

    as_of = pd.Timestamp(json.loads(split_info.read_text())["as_of"])
    return _write(report, future_gate(pd.read_parquet(future), as_of=as_of))


def validate_features(
    *, feature_table: Path, feature_list: Path, report: Path, validation: ValidationParams
) -> dict[str, Any]:
    """Gate 4: every feature column is present, finite and filled often enough."""
    from soccerpredict.validation.gates import features_gate

    columns = json.loads(feature_list.read_text())["columns"]
    frame = pd.read_parquet(feature_table)
    return _write(report, features_gate(frame, columns, min_non_null=validation.min_non_null))
