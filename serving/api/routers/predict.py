"""``/predict``: live predictions (cache, then predictor), async jobs, and the precomputed batch.

Every route needs ``X-API-Key``. Static paths are declared before ``/predict/{match_id}`` so that
``/predict/cards/`` and friends are never read as a match id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response, status
from pydantic import StringConstraints

from serving.api.auth import UNAUTHORIZED_RESPONSE, require_api_key
from serving.api.routers import (
    ServicesDep,
    error_responses,
    example_of,
    pattern_error,
    success_response,
    validation_response,
)
from serving.api.schemas import (
    MATCH_ID_EXAMPLE,
    MATCH_ID_PATTERN,
    Card,
    IsoDate,
    PrecomputedPrediction,
    Prediction,
    PredictionPage,
    TaskAccepted,
    ValidationErrorResponse,
)
from serving.api.services import Services
from serving.api.services.precomputed import PublishedObject, Snapshot
from serving.common.jobs import PUBLISH_RETRY_POLICY, TASK_PREDICT_MATCHES, record_submitted
from soccerpredict.errors import UnknownMatchError

__all__ = ["MAX_ASYNC_MATCHES", "MAX_OFFSET", "MAX_PAGE", "not_published", "router", "snapshot_or_503"]

log = logging.getLogger(__name__)

MAX_ASYNC_MATCHES: Final = 1000
MAX_PAGE: Final = 500
#: Far beyond any published batch (one row per upcoming match); past the rows a page is empty, past this a 422.
MAX_OFFSET: Final = 1_000_000
NOT_PUBLISHED: Final = "no predictions published yet, run the pipeline"

router = APIRouter(
    tags=["predict"],
    dependencies=[Depends(require_api_key)],
    responses=UNAUTHORIZED_RESPONSE,
)

_BAD_MATCH_ID: Final = pattern_error(["path", "match_id"], "-x", MATCH_ID_PATTERN)

MatchId = Annotated[
    str, Path(pattern=MATCH_ID_PATTERN, description="Match id as built by ingestion.", examples=[MATCH_ID_EXAMPLE])
]


def not_published(what: str = NOT_PUBLISHED) -> HTTPException:
    """503 for an object the pipeline has not written yet."""
    return HTTPException(status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail=what)


def snapshot_or_503(obj: PublishedObject[Any], what: str = NOT_PUBLISHED) -> Snapshot[Any]:
    """The snapshot in memory, or the 503 that says to run the pipeline."""
    snapshot = obj.current
    if snapshot is None:
        raise not_published(what)
    return snapshot


@router.get(
    "/predict/predictions/",
    summary="Precomputed predictions (paginated)",
    response_model=PredictionPage,
    responses={
        **success_response("One page of the published predictions.", example_of(PredictionPage)),
        **error_responses(503, d503=NOT_PUBLISHED),
        **validation_response(example_of(ValidationErrorResponse)["detail"][0]),
    },
)
async def list_predictions(
    services: ServicesDep,
    div: Annotated[str | None, Query(description="Division code.", examples=["E0"], max_length=8)] = None,
    date_from: Annotated[
        IsoDate | None, Query(description="First match date (inclusive), YYYY-MM-DD.", examples=["2024-08-17"])
    ] = None,
    date_to: Annotated[
        IsoDate | None, Query(description="Last match date (inclusive), YYYY-MM-DD.", examples=["2024-08-31"])
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Rows per page.")] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Rows to skip (ordered by date, match id).")] = 0,
) -> PredictionPage:
    """The latest batch predictions, filtered by division and date range, ordered by date then match id."""
    snapshot = snapshot_or_503(services.precomputed.predictions)
    rows = snapshot.data.select(div=div, date_from=date_from, date_to=date_to)
    items = [PrecomputedPrediction.model_validate(r) for r in rows[offset : offset + limit]]
    return PredictionPage(total=len(rows), limit=limit, offset=offset, published_version=snapshot.version, items=items)


@router.get(
    "/predict/precomputed/{match_id}",
    summary="Precomputed prediction of one match",
    response_model=PrecomputedPrediction,
    responses={
        **success_response("The published prediction of the match.", example_of(PrecomputedPrediction)),
        **error_responses(404, 503, d404="The match is not in the published predictions."),
        **validation_response(_BAD_MATCH_ID),
    },
)
async def get_precomputed_prediction(match_id: MatchId, services: ServicesDep) -> PrecomputedPrediction:
    """The batch prediction of one match, as published by the pipeline."""
    row = snapshot_or_503(services.precomputed.predictions).data.by_id.get(match_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"match {match_id!r} is not in the published predictions")
    return PrecomputedPrediction.model_validate(row)


@router.get(
    "/predict/cards/",
    summary="Prediction cards",
    response_model=list[Card],
    responses={
        **success_response("Every published card.", [example_of(Card)]),
        **error_responses(503, d503=NOT_PUBLISHED),
    },
)
async def list_cards(services: ServicesDep) -> list[Card]:
    """Prediction cards (teams, kickoff, probabilities, market comparison) as published by the pipeline."""
    data = snapshot_or_503(services.precomputed.cards, "no prediction cards published yet, run the pipeline").data
    return [Card.model_validate(card) for card in data]


@router.post(
    "/predict/async/",
    summary="Queue predictions for many matches",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=TaskAccepted,
    responses={
        **success_response("The job is queued.", example_of(TaskAccepted), status.HTTP_202_ACCEPTED),
        **error_responses(400, 503, d503="The task queue (broker) is unavailable."),
        **validation_response(pattern_error(["body", 1], "-bad", MATCH_ID_PATTERN)),
    },
)
async def submit_async_job(
    services: ServicesDep,
    match_ids: Annotated[
        list[Annotated[str, StringConstraints(pattern=MATCH_ID_PATTERN)]],
        Body(min_length=1, max_length=MAX_ASYNC_MATCHES, examples=[[MATCH_ID_EXAMPLE, "E0-20240817-everton-brighton"]]),
    ],
) -> TaskAccepted:
    """Queue ``predict_matches`` on the ``ml`` queue; poll ``/monitoring/task_status/{task_id}``."""
    task_id = await _submit(services, match_ids)
    return TaskAccepted(task_id=task_id, status_url=f"/monitoring/task_status/{task_id}")


async def _submit(services: Services, match_ids: list[str]) -> str:
    jobs = services.metrics["async_jobs_total"]

    def send() -> str:
        # Recorded first, in the result backend (it expires with the results): a status read can then tell
        # an accepted job (queued) from an id it never saw (unknown), and a fast worker's STARTED is not overwritten.
        task_id = str(uuid.uuid4())
        record_submitted(services.celery, task_id)
        try:
            services.publisher.send_task(
                TASK_PREDICT_MATCHES, args=[match_ids], task_id=task_id, retry=True, retry_policy=PUBLISH_RETRY_POLICY
            )
        except Exception:
            with contextlib.suppress(Exception):  # not queued: the id was never given to the client
                services.celery.backend.forget(task_id)
            raise
        return task_id

    try:
        # Publishing is blocking I/O: keep it off the event loop so sync predictions go on meanwhile.
        task_id = await asyncio.to_thread(send)
    except Exception as exc:  # any failure to record or publish (refused, auth, timeout) means the same to the client
        log.warning("cannot queue %s: %s", TASK_PREDICT_MATCHES, exc)
        jobs.labels(task=TASK_PREDICT_MATCHES, state="rejected").inc()
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            detail="the task queue is unavailable, the job was not queued; retry later "
            "(GET /predict/{match_id} still works)",
        ) from exc
    jobs.labels(task=TASK_PREDICT_MATCHES, state="submitted").inc()
    return task_id


@router.get(
    "/predict/{match_id}",
    summary="Predict one match",
    response_model=Prediction,
    responses={
        **success_response("The match's 1X2 probabilities.", example_of(Prediction)),
        **error_responses(404, 503, 504),
        **validation_response(_BAD_MATCH_ID),
    },
)
async def predict_match(match_id: MatchId, services: ServicesDep) -> Response:
    """1X2 probabilities from the Redis cache, else from the predictor (then cached)."""
    start = time.perf_counter()
    version = services.predictor.model_version
    if version is not None:
        cached = await services.cache.get(match_id, version)
        if cached is not None:
            _observe(services, "cache", start)
            return _json(Prediction(
                match_id=match_id, model_version=version, p_home=cached[0], p_draw=cached[1], p_away=cached[2],
                source="cache",
            ))  # fmt: skip
    try:
        model_version, (home, draw, away) = await services.misses.predict(match_id)
    except UnknownMatchError as exc:
        raise UnknownMatchError(f"unknown match id {match_id!r}: the predictor has no features for it") from exc
    await services.cache.set(match_id, model_version, (home, draw, away))
    _observe(services, "model", start)
    return _json(
        Prediction(
            match_id=match_id, model_version=model_version, p_home=home, p_draw=draw, p_away=away, source="model"
        )
    )


def _json(prediction: Prediction) -> Response:
    # Validated once, here; returning a Response spares FastAPI validating and encoding it a second time
    # against response_model (which still documents it in OpenAPI).
    return Response(prediction.model_dump_json(), media_type="application/json")


def _observe(services: Services, source: str, start: float) -> None:
    services.metrics["predictions_total"].labels(source=source).inc()
    services.metrics["prediction_duration_seconds"].labels(source=source).observe(time.perf_counter() - start)
