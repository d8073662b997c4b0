"""Every way a call from the web UI to the facade can fail, in one tree; each page turns one into a message.

    UiError                      base: the facade could not give the UI what a page needs
    ├── FacadeUnreachableError   nothing answers at the facade's URL (refused, timed out, unknown host)
    ├── KeyRefusedError          the facade refused the UI's X-API-Key (401 or 403)
    ├── NotPublishedError        the pipeline has not published that object yet (503 on predictions, cards, drift)
    ├── NoChampionError          the predictor serves no model yet (no @champion)
    ├── NotFoundError            the facade does not know that match (404)
    └── FacadeResponseError      any other answer the UI cannot use (5xx, 422, a body it cannot read)

Each carries the facade's ``detail`` when it sent one; the message says what is wrong, the pages add what to do.
"""

from __future__ import annotations

from soccerpredict.errors import SoccerPredictError

__all__ = [
    "FacadeResponseError",
    "FacadeUnreachableError",
    "KeyRefusedError",
    "NoChampionError",
    "NotFoundError",
    "NotPublishedError",
    "UiError",
]


class UiError(SoccerPredictError):
    """The facade could not give the UI what a page needs."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.url = url
        self.status = status
        self.detail = detail


class FacadeUnreachableError(UiError):
    """Nothing answers at the facade's URL: connection refused, timed out, or the host is unknown."""


class KeyRefusedError(UiError):
    """The facade answered 401 or 403: the UI's key is missing or not one of the facade's keys."""


class NotPublishedError(UiError):
    """The pipeline has not published the object (predictions, cards, drift summary or report) yet."""


class NoChampionError(UiError):
    """The predictor behind the facade serves no model: no version holds the @champion alias yet."""


class NotFoundError(UiError):
    """The facade does not know the match asked for."""


class FacadeResponseError(UiError):
    """An answer the UI cannot use: an unexpected status or a body that does not parse."""
