"""The one table of what a facade error means to a user: a cause and an advice, for a web page or a terminal."""

from __future__ import annotations

import pytest

from serving.ui.errors import (
    EXPLANATIONS,
    PAGE,
    TERMINAL,
    Audience,
    FacadeResponseError,
    FacadeUnreachableError,
    KeyRefusedError,
    NoChampionError,
    NotFoundError,
    NotPublishedError,
    UiError,
    explain,
)

URL = "http://127.0.0.1:9"
#: One error of each class, with what its cause and its advice must say wherever it is read.
ERRORS: list[tuple[UiError, str, str]] = [
    (FacadeUnreachableError("refused"), f"The facade at {URL} does not answer, so the cards", "`make run`"),
    (KeyRefusedError("401", status=401), f"The facade at {URL} refused", "SOCCER_UI_API_KEY"),
    (NotPublishedError("503", detail="no cards published yet, run the pipeline"),
     "Nothing published yet, so the cards cannot be shown. The facade said: no cards published yet, run the pipeline",
     "Run the training pipeline (`soccerpredict demo` or `make run`)"),
    (NoChampionError("none"), "No champion model yet", "Train and promote one"),
    (NotFoundError("404", detail="match 'x' is not in the published predictions"),
     "The facade does not know this match: match 'x' is not in the published predictions.", "Pick a match"),
    (FacadeResponseError("http://x/predict/cards/ answered 500: boom", status=500),
     "The facade could not give the cards: http://x/predict/cards/ answered 500: boom.", "See the facade's log."),
]  # fmt: skip


def test_every_error_class_has_an_explanation() -> None:
    classes = {FacadeUnreachableError, KeyRefusedError, NotPublishedError, NoChampionError, NotFoundError, UiError}
    assert set(EXPLANATIONS) == classes
    assert all(issubclass(type(error), UiError) for error, _, _ in ERRORS)


@pytest.mark.parametrize("audience", [PAGE, TERMINAL], ids=["page", "terminal"])
@pytest.mark.parametrize(("error", "cause", "advice"), ERRORS, ids=[type(e).__name__ for e, _, _ in ERRORS])
def test_every_error_says_what_is_wrong_and_what_to_do(
    error: UiError, cause: str, advice: str, audience: Audience
) -> None:
    explanation = explain(error, api_url=URL, what="the cards", audience=audience)
    assert cause in explanation.cause and advice in explanation.advice
    assert str(explanation) == f"{explanation.cause} {explanation.advice}"
    assert ".." not in str(explanation)  # a detail ending in a full stop is not stopped twice


def test_a_page_and_a_terminal_differ_only_in_how_to_fix_the_settings() -> None:
    refused = KeyRefusedError("401", status=401)
    page = explain(refused, api_url=URL, what="the cards", audience=PAGE)
    terminal = explain(refused, api_url=URL, what="the cards", audience=TERMINAL)
    assert page.cause == f"The facade at {URL} refused this UI's API key (401)."
    assert page.advice == "Set SOCCER_UI_API_KEY to one of the facade's SOCCER_API_KEYS and restart the UI."
    assert terminal.cause == f"The facade at {URL} refused the API key (401)."
    assert terminal.advice.startswith("Pass --api-key (or set SOCCER_UI_API_KEY)")
    down = FacadeUnreachableError("refused")
    assert "point SOCCER_UI_API_URL at a running facade" in explain(down, api_url=URL, what="x", audience=PAGE).advice
    assert "pass --api-url" in explain(down, api_url=URL, what="x", audience=TERMINAL).advice
    missing = NotFoundError("404", detail="no such match")
    assert explain(missing, api_url=URL, what="x", audience=PAGE).advice == "Pick a match from the Matches page."
    assert "`soccerpredict cards`" in explain(missing, api_url=URL, what="x", audience=TERMINAL).advice


def test_a_subclass_without_its_own_row_is_explained_as_its_parent() -> None:
    class SlowFacadeError(FacadeUnreachableError):
        pass

    explanation = explain(SlowFacadeError("timed out"), api_url=URL, what="the cards", audience=PAGE)
    assert explanation.cause.startswith(f"The facade at {URL} does not answer")
