"""Request and response bodies of the facade, with the examples shown in the OpenAPI page."""

from __future__ import annotations

import re
from datetime import date as Date  # noqa: N812 - the field is called `date`
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

# The champion's evaluation is an artefact of the pipeline: its schema has one home, the models layer.
from soccerpredict.models.report import ModelEvaluation
from soccerpredict.monitoring.drift_history import DriftHistory, DriftHistoryEntry

__all__ = [
    "ISO_DATE_PATTERN",
    "MATCH_ID_PATTERN",
    "Card",
    "DriftHistory",
    "DriftHistoryEntry",
    "DriftSummary",
    "ErrorResponse",
    "FieldError",
    "IsoDate",
    "Liveness",
    "ModelEvaluation",
    "ModelInfo",
    "PrecomputedPrediction",
    "Prediction",
    "PredictionPage",
    "Readiness",
    "TaskAccepted",
    "TaskStatus",
    "TensorSpec",
    "ValidationErrorResponse",
]

#: Match ids are built from a division, a date and team slugs ("E0-20240810-arsenal-wolves").
MATCH_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,119}$"
MATCH_ID_EXAMPLE: Final = "E0-20240817-arsenal-wolves"
#: A calendar date as ``YYYY-MM-DD`` and nothing else.
ISO_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def _iso_date_only(value: Any) -> Any:
    # Pydantic's lax date also reads numbers and numeric strings as Unix times (date_to=0 was 1970-01-01)
    # and accepts datetimes; a query date must be the ISO string the OpenAPI document promises.
    if isinstance(value, Date) or (isinstance(value, str) and re.fullmatch(ISO_DATE_PATTERN, value)):
        return value
    raise ValueError("expected an ISO date, YYYY-MM-DD")


#: A date given as an ISO string (``2024-08-17``); documented with its format and pattern.
IsoDate = Annotated[
    Date,
    BeforeValidator(_iso_date_only),
    WithJsonSchema({"type": "string", "format": "date", "pattern": ISO_DATE_PATTERN}),
]
_PRECOMPUTED_EXAMPLE: Final[dict[str, Any]] = {
    "match_id": MATCH_ID_EXAMPLE,
    "div": "E0",
    "date": "2024-08-17",
    "home_team": "Arsenal",
    "away_team": "Wolves",
    "p_home": 0.512,
    "p_draw": 0.241,
    "p_away": 0.247,
    "model_version": "7",
    "features_as_of": "2024-08-16T06:00:00",
    "status": "upcoming",
}


class ErrorResponse(BaseModel):
    """Every error the facade returns on purpose: one human-readable `detail`."""

    detail: str = Field(examples=["predictor unreachable at http://127.0.0.1:8080: connection refused"])


class FieldError(BaseModel):
    """One reason a request was refused: FastAPI's validation error, bounded (serving/api/validation.py)."""

    type: str = Field(description="Pydantic's error type (string_pattern_mismatch, less_than_equal, …).")
    loc: list[str | int] = Field(description="Where: path, query or body, then the parameter or item.")
    msg: str
    input: Any = Field(
        default=None, description="The refused value; strings cut at 100 characters, lists and objects never echoed."
    )
    ctx: dict[str, Any] | None = Field(default=None, description="The constraint that failed (pattern, le, …).")


class ValidationErrorResponse(BaseModel):
    """The 422: what is wrong with the request, at most 20 errors (then a count of the rest)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": [
                        {
                            "type": "less_than_equal",
                            "loc": ["query", "limit"],
                            "msg": "Input should be less than or equal to 500",
                            "input": "501",
                            "ctx": {"le": 500},
                        }
                    ]
                }
            ]
        }
    )

    detail: list[FieldError]


class Prediction(BaseModel):
    """1X2 probabilities of one match from the served model."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "match_id": MATCH_ID_EXAMPLE,
                    "model_version": "7",
                    "p_home": 0.512,
                    "p_draw": 0.241,
                    "p_away": 0.247,
                    "source": "cache",
                }
            ]
        },
    )

    match_id: str
    model_version: str
    p_home: float = Field(ge=0, le=1, description="Probability of a home win.")
    p_draw: float = Field(ge=0, le=1, description="Probability of a draw.")
    p_away: float = Field(ge=0, le=1, description="Probability of an away win.")
    source: Literal["cache", "model"] = Field(description="Redis cache hit or a fresh predictor call.")


class TaskAccepted(BaseModel):
    """An async job was queued; poll `status_url` for its result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "task_id": "5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11",
                    "status_url": "/monitoring/task_status/5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11",
                }
            ]
        }
    )

    task_id: str
    status_url: str


class TaskStatus(BaseModel):
    """Where an async job stands. `result` is set when done, `reason` when failed or unknown."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "task_id": "5f0c6f0e-8a44-4f43-9d43-3f1d1c1b2a11",
                    "status": "done",
                    "state": "SUCCESS",
                    "result": {
                        "model_version": "7",
                        "predictions": [
                            {"match_id": MATCH_ID_EXAMPLE, "p_home": 0.512, "p_draw": 0.241, "p_away": 0.247}
                        ],
                        "unknown": [],
                    },
                    "reason": None,
                },
                {
                    "task_id": "0b6c2d7e-1f3a-4c55-9e0b-7a9d2c4e8f10",
                    "status": "failed",
                    "state": "FAILURE",
                    "result": None,
                    "reason": "PredictorUnavailableError: predictor unreachable",
                },
            ]
        }
    )

    task_id: str
    status: Literal["queued", "running", "done", "failed", "unknown"] = Field(
        description="queued: accepted, no worker has started it (SUBMITTED, RECEIVED); running: a worker has it "
        "(STARTED, or RETRY between two attempts); done; failed (FAILURE, REVOKED, REJECTED). unknown: an id never "
        "accepted, expired or lost with the result backend; GET /monitoring/task_status answers it with a 404."
    )
    state: str = Field(description="The raw Celery state (SUBMITTED, RECEIVED, STARTED, RETRY, SUCCESS, FAILURE, …).")
    result: Any | None = None
    reason: str | None = None


class PrecomputedPrediction(BaseModel):
    """One row of the batch predictions published by the pipeline."""

    model_config = ConfigDict(
        protected_namespaces=(),
        extra="allow",
        json_schema_extra={"examples": [_PRECOMPUTED_EXAMPLE]},
    )

    match_id: str
    div: str | None = None
    date: Date | None = None
    home_team: str | None = None
    away_team: str | None = None
    p_home: float
    p_draw: float
    p_away: float
    model_version: str | None = None
    features_as_of: str | None = None
    status: str | None = None


class PredictionPage(BaseModel):
    """A page of precomputed predictions, ordered by date then match id."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "total": 380,
                    "limit": 1,
                    "offset": 0,
                    "published_version": "1732350000.123",
                    "items": [_PRECOMPUTED_EXAMPLE],
                }
            ]
        }
    )

    total: int = Field(description="Rows matching the filters, over all pages.")
    limit: int
    offset: int
    published_version: str = Field(description="Version (ETag or mtime) of the object these rows came from.")
    items: list[PrecomputedPrediction]


class Card(BaseModel):
    """A prediction card as published by the pipeline (teams, kickoff, probabilities, market comparison)."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {  # the build_cards stage's shape (components/publish.py)
                    "match_id": MATCH_ID_EXAMPLE,
                    "division": "E0",
                    "date": "2024-08-17",
                    "kickoff_time": "15:00",
                    "home_team": "Arsenal",
                    "away_team": "Wolves",
                    "status": "scheduled",
                    "result": None,
                    "model": {"home": 0.512, "draw": 0.241, "away": 0.247},
                    "model_version": "7",
                    "pick": "home",
                    "market": {"home": 0.55, "draw": 0.23, "away": 0.22},
                    "edge": {"home": -0.038, "draw": 0.011, "away": 0.027},
                }
            ]
        },
    )

    match_id: str | None = None


class DriftSummary(BaseModel):
    """The latest Evidently drift summary, passed through as the pipeline (stage monitor_drift) wrote it:
    per feature the score, the method Evidently chose, its threshold and whether the feature drifted."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "drifted_share": 0.125,
                    "drifted_features": ["elo_diff"],
                    "reference_rows": 5000,
                    "current_rows": 180,
                    "features": [
                        {
                            "feature": "elo_diff",
                            "score": 0.012,
                            "method": "K-S p_value",
                            "threshold": 0.05,
                            "drifted": True,
                        }
                    ],
                    "current_from": "2024-06-17",
                    "current_to": "2024-08-16",
                }
            ]
        },
    )


class TensorSpec(BaseModel):
    """One input or output tensor declared by the predictor (KServe v2 metadata)."""

    name: str
    datatype: str
    shape: list[int]


class ModelInfo(BaseModel):
    """The model the predictor serves right now."""

    model_config = ConfigDict(
        protected_namespaces=(),
        json_schema_extra={
            "examples": [
                {
                    "name": "soccer-1x2",
                    "version": "7",
                    "alias": "champion",
                    "platform": "soccerpredict",
                    "inputs": [{"name": "match_id", "datatype": "BYTES", "shape": [-1]}],
                    "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]}],
                }
            ]
        },
    )

    name: str
    version: str | None = Field(description="Registry version; null until the predictor has loaded a model.")
    alias: str | None = Field(
        description="Registry alias the predictor follows, as it publishes it; null when it does not say."
    )
    platform: str | None = None
    inputs: list[TensorSpec] = []
    outputs: list[TensorSpec] = []


class Liveness(BaseModel):
    """The process answers."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "alive"}]})

    status: Literal["alive"] = "alive"


class Readiness(BaseModel):
    """Whether the facade can serve predictions, and the state of each dependency."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "detail": "ok",
                    "checks": {"predictor": "ok", "cache": "ok", "precomputed": "loaded"},
                },
                {
                    "status": "not ready",
                    "detail": "predictor: unreachable at http://127.0.0.1:8080",
                    "checks": {"predictor": "unreachable", "cache": "ok", "precomputed": "missing"},
                },
            ]
        }
    )

    status: Literal["ready", "not ready"]
    detail: str = Field(description="'ok', or which required dependency is not ready and why.")
    checks: dict[str, str] = Field(description="Each dependency's state; only the predictor gates readiness.")
