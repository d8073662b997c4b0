"""Four Great Expectations gates as code: raw matches, finished matches, future fixtures, features.

Each gate builds a validation frame (the input plus a few derived check columns that GE cannot
express directly, such as "home team equals away team"), runs one expectation suite on it in an
ephemeral GE context, and returns a :class:`GateResult` that names every failed expectation with
example match ids. :func:`enforce` turns a failed result into a :class:`ValidationGateError`.
Great Expectations is imported lazily: it costs ~8 s of start-up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soccerpredict.data.columns import FINISHED, ODDS_WIDE_COLUMNS, OUTCOMES, SCHEDULED
from soccerpredict.errors import ValidationGateError

__all__ = [
    "GATES",
    "FailedExpectation",
    "GateResult",
    "enforce",
    "features_gate",
    "finished_gate",
    "future_gate",
    "raw_gate",
]

GATES = ("raw", "finished", "future", "features")
MAX_GOALS = 15
EXAMPLES = 5


@dataclass(frozen=True, slots=True)
class FailedExpectation:
    """One expectation that failed, with how often and on which matches."""

    expectation: str
    column: str | None
    unexpected_count: int
    examples: list[Any]

    def __str__(self) -> str:
        where = f" on {self.column}" if self.column else ""
        return f"{self.expectation}{where}: {self.unexpected_count} rows, e.g. {self.examples}"


@dataclass(slots=True)
class GateResult:
    """The outcome of one gate: success, counts, failures and GE's full JSON report."""

    gate: str
    success: bool
    rows: int
    failures: list[FailedExpectation] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        """One line per failed expectation, or a pass line."""
        if self.success:
            return f"gate {self.gate}: passed on {self.rows} rows"
        lines = [f"gate {self.gate}: {len(self.failures)} expectation(s) failed on {self.rows} rows"]
        lines += [f"  - {failure}" for failure in self.failures]
        return "\n".join(lines)


def enforce(result: GateResult) -> GateResult:
    """Raise :class:`ValidationGateError` (with the report) when the gate failed."""
    if not result.success:
        raise ValidationGateError(result.summary(), report=result.report)
    return result


def raw_gate(frame: pd.DataFrame) -> GateResult:
    """Every loaded match: identity, teams, plausible scores and odds."""
    checks = _identity_checks(frame)
    finished = frame["status"].eq(FINISHED)
    checks["_finished_has_result"] = ~finished | frame[["fthg", "ftag", "ftr"]].notna().all(axis=1)
    checks["_result_matches_score"] = ~finished | _result_consistent(frame)
    specs = (
        _identity_specs()
        + _score_specs()
        + _odds_specs(frame)
        + [
            ("in_set", "status", {"value_set": [FINISHED, SCHEDULED]}),
            ("true", "_finished_has_result", {}),
            ("true", "_result_matches_score", {}),
        ]
    )
    return _run("raw", frame.assign(**checks), specs)


def finished_gate(frame: pd.DataFrame, *, as_of: pd.Timestamp) -> GateResult:
    """Finished matches used for training: complete results, nothing in the future."""
    checks = _identity_checks(frame)
    checks["_result_matches_score"] = _result_consistent(frame)
    checks["_not_in_future"] = pd.to_datetime(frame["date"]) <= as_of
    specs = (
        _identity_specs()
        + _score_specs()
        + _odds_specs(frame)
        + [
            ("not_null", "fthg", {}),
            ("not_null", "ftag", {}),
            ("in_set", "ftr", {"value_set": list(OUTCOMES)}),
            ("in_set", "status", {"value_set": [FINISHED]}),
            ("true", "_result_matches_score", {}),
            ("true", "_not_in_future", {}),
        ]
    )
    return _run("finished", frame.assign(**checks), specs)


def future_gate(frame: pd.DataFrame, *, as_of: pd.Timestamp) -> GateResult:
    """Upcoming fixtures to predict: no result yet, kick-off not in the past."""
    checks = _identity_checks(frame)
    checks["_no_result_yet"] = frame[["fthg", "ftag", "ftr"]].isna().all(axis=1)
    checks["_not_in_past"] = pd.to_datetime(frame["date"]) >= as_of.normalize()
    specs = (
        _identity_specs()
        + _odds_specs(frame)
        + [
            ("in_set", "status", {"value_set": [SCHEDULED]}),
            ("true", "_no_result_yet", {}),
            ("true", "_not_in_past", {}),
        ]
    )
    return _run("future", frame.assign(**checks), specs)


def features_gate(frame: pd.DataFrame, feature_columns: Sequence[str], *, min_non_null: float = 0.2) -> GateResult:
    """The feature matrix: every feature present, finite and mostly filled; one row per match."""
    missing = [c for c in feature_columns if c not in frame.columns]
    specs: list[tuple[str, str, dict[str, Any]]] = [("unique", "match_id", {}), ("not_null", "match_id", {})]
    specs += [("not_null", c, {"mostly": min_non_null}) for c in feature_columns if c not in missing]
    checks: dict[str, Any] = {
        "_all_features_present": pd.Series(not missing, index=frame.index),
        "_no_infinite_values": ~np.isinf(
            frame[[c for c in feature_columns if c not in missing]].select_dtypes("number")
        ).any(axis=1),
    }
    specs += [("true", "_all_features_present", {}), ("true", "_no_infinite_values", {})]
    result = _run("features", frame.assign(**checks), specs)
    if missing:
        result.failures.insert(0, FailedExpectation("feature columns present", None, len(missing), missing))
    return result


def _identity_checks(frame: pd.DataFrame) -> dict[str, pd.Series]:
    dates = pd.to_datetime(frame["date"])
    long = pd.concat(
        [
            pd.DataFrame({"team": frame["home_team"], "date": dates}),
            pd.DataFrame({"team": frame["away_team"], "date": dates}),
        ]
    )
    busy = long.duplicated(keep=False)  # a team in two matches on one day
    n = len(frame)
    return {
        "_home_is_not_away": frame["home_team"].ne(frame["away_team"]),
        "_one_match_per_team_per_day": ~(busy.iloc[:n].to_numpy() | busy.iloc[n:].to_numpy()),
    }


def _identity_specs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        ("not_null", "match_id", {}),
        ("unique", "match_id", {}),
        ("not_null", "date", {}),
        ("not_null", "home_team", {}),
        ("not_null", "away_team", {}),
        ("compound_unique", "div,date,home_team,away_team", {}),
        ("true", "_home_is_not_away", {}),
        ("true", "_one_match_per_team_per_day", {}),
    ]


def _score_specs() -> list[tuple[str, str, dict[str, Any]]]:
    return [("between", c, {"min_value": 0, "max_value": MAX_GOALS}) for c in ("fthg", "ftag", "hthg", "htag")]


def _odds_specs(frame: pd.DataFrame) -> list[tuple[str, str, dict[str, Any]]]:
    return [("between", c, {"min_value": 1.01, "max_value": 1000}) for c in ODDS_WIDE_COLUMNS if c in frame]


def _result_consistent(frame: pd.DataFrame) -> pd.Series:
    """FTR agrees with the full-time score; a row without both goals has nothing to disagree with (other checks
    flag a finished match without a score)."""
    diff = (frame["fthg"].astype("Float64") - frame["ftag"].astype("Float64")).to_numpy(
        dtype="float64", na_value=np.nan
    )
    expected = np.select([diff > 0, diff < 0], ["H", "A"], default="D")
    agrees = np.asarray(frame["ftr"].to_numpy(dtype=object) == expected, dtype=bool)
    return pd.Series(np.isnan(diff) | agrees, index=frame.index)


def _expectation(kind: str, column: str, kwargs: dict[str, Any]) -> Any:
    import great_expectations.expectations as gxe

    if kind == "compound_unique":
        return gxe.ExpectCompoundColumnsToBeUnique(column_list=column.split(","))
    if kind == "true":
        return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True])
    factory = {
        "not_null": gxe.ExpectColumnValuesToNotBeNull,
        "unique": gxe.ExpectColumnValuesToBeUnique,
        "in_set": gxe.ExpectColumnValuesToBeInSet,
        "between": gxe.ExpectColumnValuesToBeBetween,
    }[kind]
    return factory(column=column, **kwargs)


def _run(gate: str, frame: pd.DataFrame, specs: list[tuple[str, str, dict[str, Any]]]) -> GateResult:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}  # type: ignore[assignment]
    batch = (
        context.data_sources.add_pandas(name=f"{gate}_source")
        .add_dataframe_asset(name=gate)
        .add_batch_definition_whole_dataframe("all_rows")
    )
    suite = gx.ExpectationSuite(name=f"{gate}_gate")
    for kind, column, kwargs in specs:
        suite.add_expectation(_expectation(kind, column, kwargs))
    rows = frame.reset_index(drop=True)
    # SUMMARY gives each failure's first row positions; they are mapped to match ids below. Asking GE for
    # `unexpected_index_column_names` instead makes it look up the id of every unexpected row one cell at a
    # time, passing expectations included (a `mostly` check on a sparse column): the features gate on the full
    # archive took 60.5 s that way and 10.5 s this way (docs/benchmarks.md).
    result = batch.get_batch(batch_parameters={"dataframe": rows}).validate(
        suite, result_format={"result_format": "SUMMARY"}
    )
    ids = rows.get("match_id")
    failures = [_failure(r, ids) for r in result.results if not r.success]
    return GateResult(gate, bool(result.success), len(frame), failures, result.to_json_dict())


def _failure(r: Any, ids: pd.Series | None) -> FailedExpectation:
    """One failed expectation: its count and up to :data:`EXAMPLES` examples, the match ids of its first
    unexpected rows where the frame has ids, else the unexpected values."""
    config = r.expectation_config
    column = config.kwargs.get("column") or ",".join(config.kwargs.get("column_list", []) or []) or None
    res = r.result or {}
    positions = [int(i) for i in (res.get("partial_unexpected_index_list") or [])[:EXAMPLES]]
    examples: list[Any] = [ids.iloc[i] for i in positions] if ids is not None else []
    if not examples:
        examples = list(res.get("partial_unexpected_list") or [])[:EXAMPLES]
    count = res.get("unexpected_count")
    return FailedExpectation(config.type, column, int(count) if count is not None else -1, examples)
