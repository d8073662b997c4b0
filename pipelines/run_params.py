"""The pipeline's typed run parameters: the settings runs are compared by in the KFP UI.

The compiled pipeline carries the whole composed params as one ``params_json`` string (the defaults), and
next to it a few typed parameters read from it: the experiment label, the test seasons, the feature
track, the tuning trials per model family, the candidate families and the calibration method. Pipeline
parameters are run-time placeholders, so the pipeline's first task (:func:`merge_run_parameters`) writes
them into the params and validates the result; every stage then reads the merged params.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel, ValidationError

from soccerpredict.errors import ConfigError
from soccerpredict.params import (
    BacktestParams,
    CalibrationParams,
    DataParams,
    DriftParams,
    EvaluateParams,
    FeaturesParams,
    PublishParams,
    SplitParams,
    TuningParams,
    ValidationParams,
)

__all__ = [
    "FAMILIES",
    "RUN_PARAMETERS",
    "SECTIONS",
    "merge_params_json",
    "merge_run_parameters",
    "run_parameter_defaults",
    "validate_params",
]

#: Each section of params.yaml and the model that validates it (``experiment`` is a plain label).
SECTIONS: Final[dict[str, type[BaseModel]]] = {
    "data": DataParams,
    "validation": ValidationParams,
    "features": FeaturesParams,
    "split": SplitParams,
    "tuning": TuningParams,
    "calibration": CalibrationParams,
    "evaluate": EvaluateParams,
    "backtest": BacktestParams,
    "publish": PublishParams,
    "drift": DriftParams,
}

#: The model families of ``tuning.models``; each has a trials parameter ``n_trials_<family>``.
FAMILIES: Final = ("xgb", "hgb", "logreg")

#: Run parameter -> the (section, key) of params it sets; ``None`` as section is a top-level key.
_PLAIN: Final[dict[str, tuple[str | None, str]]] = {
    "experiment": (None, "experiment"),
    "test_seasons": ("split", "test_seasons"),
    "track": ("features", "track"),
    "models": ("tuning", "models"),
    "calibration_method": ("calibration", "method"),
}
_TRIALS: Final[dict[str, str]] = {f"n_trials_{family}": family for family in FAMILIES}

#: The typed run parameters, in the order the pipeline declares them.
RUN_PARAMETERS: Final = (*_PLAIN, *_TRIALS)


def _section(params: Mapping[str, Any], name: str) -> BaseModel:
    try:
        return SECTIONS[name].model_validate(params.get(name, {}))
    except ValidationError as exc:
        raise ConfigError(_explain(name, exc)) from exc


def _effective_trials(tuning: Mapping[str, Any], family: str) -> int:
    """Trials the tune stage of ``family`` runs: its entry in ``n_trials_by_model``, else ``n_trials``."""
    by_model = tuning.get("n_trials_by_model") or {}
    return int(by_model.get(family, tuning.get("n_trials", TuningParams().n_trials)))


def run_parameter_defaults(params: Mapping[str, Any]) -> dict[str, Any]:
    """The run parameters' values in ``params`` (section defaults where a section leaves them out)."""
    defaults: dict[str, Any] = {}
    for name, (section, key) in _PLAIN.items():
        if section is None:
            defaults[name] = str(params.get(key, "default"))
        else:
            defaults[name] = _section(params, section).model_dump(mode="json")[key]
    tuning = _section(params, "tuning").model_dump(mode="json")
    for name, family in _TRIALS.items():
        defaults[name] = _effective_trials(tuning, family)
    return defaults


def merge_run_parameters(params: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``params`` with the run parameters ``values`` written into their sections, validated.

    A trials value is written to ``tuning.n_trials_by_model`` only when it differs from what the family
    would run anyway, so the defaults leave the params exactly as they were.
    """
    unknown = sorted(set(values) - set(RUN_PARAMETERS))
    if unknown:
        raise ConfigError(f"unknown run parameter(s) {unknown}; known: {list(RUN_PARAMETERS)}")
    merged = copy.deepcopy(dict(params))
    for name, value in values.items():
        if name in _PLAIN:
            section, key = _PLAIN[name]
            target = merged if section is None else merged.setdefault(section, {})
            target[key] = value
    tuning = merged.setdefault("tuning", {})
    for name, family in _TRIALS.items():
        if name in values and values[name] != _effective_trials(tuning, family):
            tuning["n_trials_by_model"] = {**(tuning.get("n_trials_by_model") or {}), family: values[name]}
    validate_params(merged)
    return merged


def merge_params_json(params_json: str, **values: Any) -> str:
    """:func:`merge_run_parameters` over the pipeline's JSON string (what the first task runs)."""
    try:
        params = json.loads(params_json)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"params_json is not JSON: {exc}") from exc
    if not isinstance(params, dict):
        raise ConfigError("params_json must be a JSON object of params sections")
    return json.dumps(merge_run_parameters(params, values), sort_keys=True)


def validate_params(params: Mapping[str, Any]) -> None:
    """Check every section of ``params`` against its model in :mod:`soccerpredict.params`; raise ConfigError."""
    problems: list[str] = []
    unknown = sorted(set(params) - set(SECTIONS) - {"experiment"})
    if unknown:
        problems.append(f"unknown section(s) {unknown}; known: {['experiment', *SECTIONS]}")
    if not isinstance(params.get("experiment", ""), str):
        problems.append(f"experiment must be a string, not {params['experiment']!r} (run parameter experiment)")
    for name in SECTIONS:
        try:
            _section(params, name)
        except ConfigError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError("invalid pipeline params:\n" + "\n".join(problems))


def _explain(section: str, exc: ValidationError) -> str:
    """One line per field error, naming the run parameter that sets the field, if one does."""
    setters = {(s, k): name for name, (s, k) in _PLAIN.items()}
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        field = ".".join([section, *loc])
        setter = setters.get((section, loc[0])) if loc else None
        if section == "tuning" and loc[:1] == ["n_trials_by_model"]:
            setter = "n_trials_<family>"
        hint = f" (run parameter {setter})" if setter else ""
        lines.append(f"{field}: {error['msg']}, got {error.get('input')!r}{hint}")
    return "\n".join(lines)
