"""What the pages show, as pure functions of the facade's answers: card rows, filters, tables and error messages.

No Streamlit and no HTTP here, so every rule a page follows is tested without either (tests/unit/test_ui_views.py).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from serving.ui.errors import (
    FacadeUnreachableError,
    KeyRefusedError,
    NoChampionError,
    NotFoundError,
    NotPublishedError,
    UiError,
)

__all__ = [
    "OUTCOMES",
    "CardRow",
    "card_row",
    "card_rows",
    "date_bounds",
    "divisions",
    "drift_rows",
    "error_message",
    "filter_rows",
    "largest_difference",
    "match_facts",
    "percent",
    "readiness_rows",
    "table",
]

#: The three outcomes of a 1X2 market, in the order of every probability triple here.
OUTCOMES: Final = ("home", "draw", "away")

Triple = tuple[float, float, float]


@dataclass(frozen=True, kw_only=True)
class CardRow:
    """One match as the Matches page lists it."""

    match_id: str
    division: str | None
    date: date | None
    kickoff_time: str | None
    home_team: str
    away_team: str
    model: Triple
    market: Triple | None
    model_version: str | None
    status: str | None = None
    result: str | None = None

    @property
    def largest_difference(self) -> tuple[str, float] | None:
        """The outcome where model and market differ most, and model minus market there; None without a market."""
        return largest_difference(self.model, self.market)


def _triple(value: Any) -> Triple | None:
    if not isinstance(value, Mapping):
        return None
    try:
        home, draw, away = (float(value[k]) for k in OUTCOMES)
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(p) for p in (home, draw, away)):
        return None
    return home, draw, away


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _text(value: Any) -> str | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def card_row(card: Mapping[str, Any]) -> CardRow | None:
    """A card as published by the build_cards stage, as a row; None when it has no model probabilities."""
    model = _triple(card.get("model"))
    if model is None or not card.get("match_id"):
        return None
    return CardRow(
        match_id=str(card["match_id"]),
        division=_text(card.get("division", card.get("div"))),
        date=_date(card.get("date")),
        kickoff_time=_text(card.get("kickoff_time")),
        home_team=_text(card.get("home_team")) or "?",
        away_team=_text(card.get("away_team")) or "?",
        model=model,
        market=_triple(card.get("market")),
        model_version=_text(card.get("model_version")),
        status=_text(card.get("status")),
        result=_text(card.get("result")),
    )


def card_rows(cards: Iterable[Mapping[str, Any]]) -> list[CardRow]:
    """The usable cards as rows, by date, kick-off time and match id (cards without a date last)."""
    rows = [row for row in map(card_row, cards) if row is not None]
    return sorted(rows, key=lambda r: (r.date or date.max, r.kickoff_time or "", r.match_id))


def largest_difference(model: Triple, market: Triple | None) -> tuple[str, float] | None:
    """The outcome where ``model`` and ``market`` differ most (the first on a tie) and model minus market there."""
    if market is None:
        return None
    gaps = [m - k for m, k in zip(model, market, strict=True)]
    index = max(range(3), key=lambda i: abs(gaps[i]))
    return OUTCOMES[index], gaps[index]


def divisions(rows: Iterable[CardRow]) -> list[str]:
    """The divisions present, sorted."""
    return sorted({row.division for row in rows if row.division})


def date_bounds(rows: Iterable[CardRow]) -> tuple[date, date] | None:
    """The first and last match date present; None when no row has a date."""
    dates = [row.date for row in rows if row.date is not None]
    return (min(dates), max(dates)) if dates else None


def filter_rows(
    rows: Iterable[CardRow],
    *,
    divisions: Collection[str] | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[CardRow]:
    """The rows in one of ``divisions`` (all when None or empty) dated within the inclusive range.

    A row without a date passes only when no date bound is set.
    """
    kept = []
    for row in rows:
        if divisions and row.division not in divisions:
            continue
        if (date_from or date_to) and row.date is None:
            continue
        if row.date is not None and (
            (date_from is not None and row.date < date_from) or (date_to is not None and row.date > date_to)
        ):
            continue
        kept.append(row)
    return kept


def percent(p: float | None) -> str:
    """A probability as a percentage with one decimal ("51.2%"); an em dash when unknown."""
    return "—" if p is None else f"{100 * p:.1f}%"


def _signed_points(x: float) -> str:
    return f"{100 * x:+.1f} pts"


def table(rows: Sequence[CardRow]) -> list[dict[str, str]]:
    """The Matches page's table: one dict per row, every value already formatted for display."""
    out = []
    for row in rows:
        gap = row.largest_difference
        market = row.market or (None, None, None)
        kickoff = " ".join(x for x in (row.date.isoformat() if row.date else None, row.kickoff_time) if x)
        out.append(
            {
                "Kick-off": kickoff or "—",
                "Division": row.division or "—",
                "Match": f"{row.home_team} – {row.away_team}",
                **{f"Model {o}": percent(p) for o, p in zip(OUTCOMES, row.model, strict=True)},
                **{f"Market {o}": percent(p) for o, p in zip(OUTCOMES, market, strict=True)},
                "Largest difference": f"{gap[0]} ({_signed_points(gap[1])})" if gap else "no market odds",
                "Match id": row.match_id,
            }
        )
    return out


def match_facts(prediction: Mapping[str, Any], card: CardRow | None) -> list[tuple[str, str]]:
    """The Match page's facts (label, value): teams, date, model version, when its features were computed."""
    facts = [
        ("Match", f"{prediction.get('home_team') or '?'} – {prediction.get('away_team') or '?'}"),
        ("Division", _text(prediction.get("div")) or "—"),
        ("Date", _text(prediction.get("date")) or "—"),
    ]
    if card is not None and card.kickoff_time:
        facts.append(("Kick-off", card.kickoff_time))
    facts += [
        ("Status", _text(prediction.get("status")) or "—"),
        ("Model version", _text(prediction.get("model_version")) or "—"),
        ("Features computed", _text(prediction.get("features_as_of")) or "—"),
    ]
    if card is not None and card.result:
        facts.append(("Result", card.result))
    return facts


def drift_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The per-feature rows of a drift summary (feature, score, method, threshold, drifted), drifted first."""
    features = summary.get("features")
    if not isinstance(features, list):
        return []
    rows = [
        {k: f.get(k) for k in ("feature", "score", "method", "threshold", "drifted")}
        for f in features
        if isinstance(f, Mapping)
    ]
    return sorted(rows, key=lambda r: (not r["drifted"], str(r["feature"])))


def readiness_rows(checks: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per dependency the facade checks, with whether it is fine."""
    fine = {"ok", "loaded"}
    return [
        {"Dependency": name, "State": state, "OK": "yes" if state in fine else "no"} for name, state in checks.items()
    ]


def error_message(error: UiError, *, api_url: str, what: str) -> str:
    """What is wrong and what to do, for a page that could not show ``what`` ("the prediction cards")."""
    if isinstance(error, FacadeUnreachableError):
        return (
            f"The facade at {api_url} does not answer, so {what} cannot be shown. "
            "Start it with `make run` (or `python -m serving.api`), or point SOCCER_UI_API_URL at a running facade."
        )
    if isinstance(error, KeyRefusedError):
        return (
            f"The facade at {api_url} refused this UI's API key ({error.status}). Set SOCCER_UI_API_KEY to one of "
            "the facade's SOCCER_API_KEYS and restart the UI."
        )
    if isinstance(error, NotPublishedError):
        return (
            f"Nothing published yet: {what} appear once the training pipeline has run "
            f"(`soccerpredict demo` or `make run`). The facade said: {error.detail or error}"
        )
    if isinstance(error, NoChampionError):
        return (
            "No champion model yet: the predictor serves no model. Train and promote one (`make run` runs the "
            "whole pipeline), then reload this page."
        )
    if isinstance(error, NotFoundError):
        return f"The facade does not know this match: {error.detail or error}. Pick a match from the Matches page."
    return f"The facade could not give {what}: {error}. See the facade's log."
