"""A small typed client of the facade for the web UI: the only way the UI reaches data.

It sends the UI's key in ``X-API-Key`` from the server process (Streamlit runs this code server side; the key
never reaches a page) and turns every failure into one of the errors of :mod:`serving.ui.errors`.
The bodies are the facade's own response models (:mod:`serving.api.schemas`), so the two cannot drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from serving.api.schemas import (
    Card,
    DriftHistory,
    DriftSummary,
    Liveness,
    ModelEvaluation,
    ModelInfo,
    PrecomputedPrediction,
    Prediction,
    PredictionPage,
    Readiness,
)
from serving.ui.errors import (
    FacadeResponseError,
    FacadeUnreachableError,
    KeyRefusedError,
    NoChampionError,
    NotFoundError,
    NotPublishedError,
    UiError,
)
from soccerpredict.settings import Settings

__all__ = ["PAGE_SIZE", "FacadeClient"]

#: Rows per request when the UI reads every published prediction (the facade's largest page).
PAGE_SIZE: Final = 500

_M = TypeVar("_M")
_CARDS: Final = TypeAdapter(list[Card])


class FacadeClient:
    """The facade's routes the UI reads, as methods returning the facade's response models."""

    def __init__(
        self, base_url: str, *, api_key: str | None, timeout: float, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.base_url = base_url.rstrip("/")
        headers = {"X-API-Key": api_key} if api_key else {}
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, transport=transport)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, base_url: str | None = None, api_key: str | None = None
    ) -> FacadeClient:
        """The client of ``settings.ui_api_url`` with ``settings.ui_api_key``, or of the given URL and key."""
        if api_key is None and settings.ui_api_key is not None:
            api_key = settings.ui_api_key.get_secret_value()
        return cls(base_url or settings.ui_api_url, api_key=api_key, timeout=settings.ui_timeout)

    def __repr__(self) -> str:
        return f"FacadeClient({self.base_url!r})"  # never the key

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> FacadeClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- routes ---------------------------------------------------------------------------------------------
    def predictions(
        self, *, div: str | None = None, date_from: date | None = None, date_to: date | None = None
    ) -> list[PrecomputedPrediction]:
        """Every published prediction matching the filters, all pages read; ``[]`` when none match."""
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        params |= {k: v for k, v in (("div", div), ("date_from", date_from), ("date_to", date_to)) if v is not None}
        rows: list[PrecomputedPrediction] = []
        while True:
            page = self._model(
                PredictionPage, self._get("/predict/predictions/", {**params, "offset": len(rows)}, published=True)
            )
            rows.extend(page.items)
            if not page.items or len(rows) >= page.total:
                return rows

    def precomputed(self, match_id: str) -> PrecomputedPrediction:
        """The published prediction of one match."""
        return self._model(PrecomputedPrediction, self._get(f"/predict/precomputed/{match_id}", published=True))

    def predict(self, match_id: str) -> Prediction:
        """The served model's prediction of one match (from the cache or a fresh predictor call)."""
        return self._model(Prediction, self._get(f"/predict/{match_id}"))

    def cards(self) -> list[Card]:
        """Every published prediction card (teams, kick-off, model and market probabilities)."""
        return self._parse(_CARDS, self._get("/predict/cards/", published=True))

    def model(self) -> ModelInfo:
        """The model the predictor serves; :class:`NoChampionError` when it serves none."""
        info = self._model(ModelInfo, self._get("/monitoring/model"))
        if info.version is None:
            raise NoChampionError(
                "the predictor serves no model yet (no version holds the @champion alias)", url=self.base_url
            )
        return info

    def model_evaluation(self) -> ModelEvaluation:
        """The champion's evaluation (scores against the baselines and the market, card, reliability plot, backtest)."""
        return self._model(ModelEvaluation, self._get("/monitoring/model/evaluation", published=True))

    def drift(self) -> DriftSummary:
        """The latest drift summary written by the monitor_drift stage."""
        return self._model(DriftSummary, self._get("/monitoring/drift", published=True))

    def drift_history(self) -> DriftHistory:
        """Every monitor_drift run's drifted share, window and feature counts, oldest first."""
        return self._model(DriftHistory, self._get("/monitoring/drift/history", published=True))

    def drift_report(self) -> str:
        """The latest Evidently drift report, as HTML."""
        return self._get("/monitoring/drift/report", published=True).text

    def ready(self) -> Readiness:
        """The facade's readiness and each dependency's state (a 503 is an answer here, not an error)."""
        return self._model(Readiness, self._get("/health/ready", accept=(503,)))

    def live(self) -> Liveness:
        """Whether the facade's process answers."""
        return self._model(Liveness, self._get("/health/live"))

    def url_of(self, path: str) -> str:
        """The absolute URL of a facade path (for messages; never carries the key)."""
        return f"{self.base_url}{path}"

    # --- plumbing -------------------------------------------------------------------------------------------
    def _get(
        self, path: str, params: dict[str, Any] | None = None, *, published: bool = False, accept: tuple[int, ...] = ()
    ) -> httpx.Response:
        # published: a route of an object the pipeline publishes, whose only 503 is "not published yet".
        url = self.url_of(path)
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as exc:
            raise FacadeUnreachableError(f"the facade at {self.base_url} did not answer in time", url=url) from exc
        except httpx.TransportError as exc:  # refused, reset, unknown host
            raise FacadeUnreachableError(f"the facade at {self.base_url} does not answer: {exc}", url=url) from exc
        if response.is_success or response.status_code in accept:
            return response
        raise _status_error(response, url, published=published)

    def _model(self, model: type[BaseModel], response: httpx.Response) -> Any:
        return self._parse(TypeAdapter(model), response)

    def _parse(self, adapter: TypeAdapter[_M], response: httpx.Response) -> _M:
        try:
            return adapter.validate_json(response.content)
        except ValidationError as exc:
            raise FacadeResponseError(
                f"unreadable answer from {response.request.url.path}: {exc.error_count()} error(s)",
                url=str(response.request.url),
                status=response.status_code,
            ) from exc


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return response.text[:200]
    return detail if isinstance(detail, str) else str(detail)[:200]


def _status_error(response: httpx.Response, url: str, *, published: bool) -> UiError:
    code, detail = response.status_code, _detail(response)
    kind: type[UiError]
    if code in (401, 403):
        kind = KeyRefusedError
    elif code == 404:
        kind = NotFoundError
    elif code == 503 and published:
        kind = NotPublishedError
    else:
        kind = FacadeResponseError
    return kind(f"{url} answered {code}: {detail}", url=url, status=code, detail=detail)
