"""Every way a call from the web UI to the facade can fail, in one tree; each page turns one into a message.

    UiError                      base: the facade could not give the UI what a page needs
    ├── FacadeUnreachableError   nothing answers at the facade's URL (refused, timed out, unknown host)
    ├── KeyRefusedError          the facade refused the UI's X-API-Key (401 or 403)
    ├── NotPublishedError        the pipeline has not published that object yet (503 on predictions, cards, drift)
    ├── NoChampionError          the predictor serves no model yet (no @champion)
    ├── NotFoundError            the facade does not know that match (404)
    └── FacadeResponseError      any other answer the UI cannot use (5xx, 422, a body it cannot read)

Each carries the facade's ``detail`` when it sent one. :func:`explain` is the one table of what each means to a
user, as a cause and an advice, worded for a web page (:data:`PAGE`) or a terminal (:data:`TERMINAL`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Final

from soccerpredict.errors import SoccerPredictError

__all__ = [
    "EXPLANATIONS",
    "PAGE",
    "TERMINAL",
    "Audience",
    "Explanation",
    "FacadeResponseError",
    "FacadeUnreachableError",
    "KeyRefusedError",
    "NoChampionError",
    "NotFoundError",
    "NotPublishedError",
    "UiError",
    "explain",
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


@dataclass(frozen=True, kw_only=True)
class Audience:
    """Where a message is read, and the few words that differ there: how to point at the facade, how to give it a
    key, how to try again and where to find a match id."""

    key_owner: str
    set_url: str
    set_key: str
    retry: str
    pick_match: str


#: The web UI's pages: settings are the UI process's environment, fixed until it restarts.
PAGE: Final = Audience(
    key_owner="this UI's",
    set_url="point SOCCER_UI_API_URL at a running facade",
    set_key="Set SOCCER_UI_API_KEY to one of the facade's SOCCER_API_KEYS and restart the UI",
    retry="reload this page",
    pick_match="Pick a match from the Matches page",
)
#: The `soccerpredict predict` and `cards` commands: options first, the same environment as a fallback.
TERMINAL: Final = Audience(
    key_owner="the",
    set_url="pass --api-url (or set SOCCER_UI_API_URL)",
    set_key="Pass --api-key (or set SOCCER_UI_API_KEY) with one of the facade's SOCCER_API_KEYS",
    retry="run the command again",
    pick_match="Pick a match id from `soccerpredict cards`",
)


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """What is wrong (``cause``) and what to do about it (``advice``), as one message when printed."""

    cause: str
    advice: str

    def __str__(self) -> str:
        return f"{self.cause} {self.advice}"


#: Each error class's cause and advice, the first class of an error's MRO found here answering; the ``{fields}`` are
#: :func:`explain`'s arguments, the error's status, detail and message, and the :class:`Audience`'s words.
EXPLANATIONS: Final[Mapping[type[UiError], tuple[str, str]]] = {
    FacadeUnreachableError: (
        "The facade at {api_url} does not answer, so {what} cannot be shown.",
        "Start it with `make run` (or `python -m serving.api`), or {set_url}.",
    ),
    KeyRefusedError: ("The facade at {api_url} refused {key_owner} API key ({status}).", "{set_key}."),
    NotPublishedError: (
        "Nothing published yet, so {what} cannot be shown. The facade said: {detail}.",
        "Run the training pipeline (`soccerpredict demo` or `make run`), then {retry}.",
    ),
    NoChampionError: (
        "No champion model yet: the predictor serves no model.",
        "Train and promote one (`make run` runs the whole pipeline), then {retry}.",
    ),
    NotFoundError: ("The facade does not know this match: {detail}.", "{pick_match}."),
    UiError: ("The facade could not give {what}: {error}.", "See the facade's log."),
}


def explain(error: UiError, *, api_url: str, what: str, audience: Audience) -> Explanation:
    """Why ``what`` ("the prediction cards") could not be had from the facade at ``api_url``, and what to do."""
    cause, advice = next(EXPLANATIONS[cls] for cls in type(error).__mro__ if cls in EXPLANATIONS)
    fields = {
        **asdict(audience),
        "api_url": api_url,
        "what": what,
        "status": error.status if error.status is not None else "no status",
        "detail": (error.detail or str(error)).rstrip("."),
        "error": str(error).rstrip("."),
    }
    return Explanation(cause=cause.format(**fields), advice=advice.format(**fields))
