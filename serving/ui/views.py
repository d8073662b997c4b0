"""What the pages show, as pure functions of the facade's answers: card rows, filters and tables.

No Streamlit and no HTTP here, so every rule a page follows is tested without either (tests/unit/test_ui_views.py).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from soccerpredict.models.metrics import HIGHER_IS_BETTER, METRIC_DESCRIPTIONS, METRICS
from soccerpredict.models.report import BacktestReport, BacktestScores, EvaluationReport, PublishedBacktest

__all__ = [
    "BACKTEST_EXPLAINED",
    "OUTCOMES",
    "CardRow",
    "backtest_images",
    "backtest_rows",
    "backtest_summary",
    "card_markdown",
    "card_row",
    "card_rows",
    "date_bounds",
    "divisions",
    "drift_history_rows",
    "drift_rows",
    "evaluation_rows",
    "evaluation_summary",
    "filter_rows",
    "largest_difference",
    "match_facts",
    "percent",
    "readiness_rows",
    "reliability_png",
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


def drift_history_rows(entries: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per monitor_drift run, oldest first: when, the window it compared, the drifted share (0 to 1) and
    how many of the checked features drifted."""
    rows = [
        {
            "Computed at": e["computed_at"],
            "Window": f"{e['current_from']} to {e['current_to']}",
            "Drifted share": e["drifted_share"],
            "Drifted features": f"{e['features_drifted']} of {e['features_checked']}",
        }
        for e in entries
    ]
    return sorted(rows, key=lambda r: r["Computed at"])


def readiness_rows(checks: Mapping[str, str]) -> list[dict[str, str]]:
    """One row per dependency the facade checks, with whether it is fine."""
    fine = {"ok", "loaded"}
    return [
        {"Dependency": name, "State": state, "OK": "yes" if state in fine else "no"} for name, state in checks.items()
    ]


#: How the Model page names each metric of :data:`soccerpredict.models.metrics.METRICS`.
METRIC_LABELS: Final = {"rps": "RPS", "log_loss": "Log-loss", "brier": "Brier", "accuracy": "Accuracy", "ece": "ECE"}
_CHAMPION: Final = "Champion"
_MARKET: Final = "Market"


def _forecasters(report: EvaluationReport) -> list[tuple[str, str]]:
    """(column, metrics key): the champion first, then each baseline by name, then the market when it was scored."""
    columns = [(_CHAMPION, report.model_key), *((name, name) for name in report.baselines)]
    return columns + ([(_MARKET, report.benchmark_key)] if report.benchmark_key in report.metrics else [])


def _score(metric: str, value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return percent(value) if metric == "accuracy" else f"{value:.4f}"


def evaluation_rows(report: EvaluationReport) -> list[dict[str, str]]:
    """The Model page's table: one row per metric, the champion, each baseline and the market side by side.

    ``Best`` names the forecaster with the best value (highest accuracy, lowest of the others); a metric no
    forecaster has is left out.
    """
    forecasters = _forecasters(report)
    rows = []
    for metric in METRICS:
        values = {column: getattr(report.metrics[key], metric) for column, key in forecasters}
        known = {c: v for c, v in values.items() if v is not None and math.isfinite(v)}
        if not known:
            continue
        best = (max if metric in HIGHER_IS_BETTER else min)(known, key=lambda c: known[c])
        rows.append(
            {
                "Metric": METRIC_LABELS.get(metric, metric),
                **{column: _score(metric, value) for column, value in values.items()},
                "Best": best,
                "Better": "higher" if metric in HIGHER_IS_BETTER else "lower",
                "Meaning": METRIC_DESCRIPTIONS[metric],
            }
        )
    return rows


def evaluation_summary(report: EvaluationReport) -> str:
    """One paragraph saying what the numbers are and how the champion compares with the baselines and the market."""
    data = report.data
    seasons = ", ".join(data.test_seasons) or "unknown"
    matches = f" ({data.n_test} matches)" if data.n_test is not None else ""
    rps = report.model_scores.rps
    text = (
        f"Scores of the champion ({report.model_name}) on the held-out test season(s) {seasons}{matches}, never "
        "seen in training or tuning. Lower is better for every score but accuracy; RPS, the ranked probability "
        f"score, is the one the pipeline selects and promotes on. The champion's RPS is {rps:.4f}"
    )
    market = report.metrics.get(report.benchmark_key)
    if market is not None:
        text += _against(rps, market.rps, "the closing bookmaker market")
    beaten = [name for name in report.baselines if report.metrics[name].rps > rps]
    if report.baselines:
        named = f" ({', '.join(beaten)})" if beaten else ""
        text += f"; it beats {len(beaten)} of the {len(report.baselines)} baselines on RPS{named}"
    return text + "."


def _against(rps: float, market_rps: float, market: str) -> str:
    """ ", 0.0017 behind the market (0.1951)": how far a model's RPS is from the market's, and on which side."""
    side = "behind" if rps > market_rps else "ahead of"
    return f", {abs(rps - market_rps):.4f} {side} {market} ({market_rps:.4f})"


def reliability_png(encoded: str | None) -> bytes | None:
    """The reliability plot's PNG bytes from the published base64 text; None when absent or not a PNG."""
    if not encoded:
        return None
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if raw.startswith(b"\x89PNG") else None


def card_markdown(card: str | None) -> str | None:
    """The model card's Markdown for the page: its images are files next to the card, so each becomes its title."""
    if not card:
        return None
    return re.sub(r"!\[([^\]]*)\]\([^)]*\)", lambda m: f"*(figure: {m.group(1) or 'untitled'})*", card)


#: What the walk-forward backtest is, in one sentence (the Model page's and docs/ui.md's wording).
BACKTEST_EXPLAINED: Final = (
    "The walk-forward backtest replays the past: each backtest season is predicted by the selected model refitted "
    "on every earlier season only, then scored against the closing bookmaker market on the same matches."
)


def _verdict(scores: BacktestScores) -> str:
    """Which side the 95% interval of model minus market RPS is on (negative: the model is better)."""
    lo, hi = scores.rps_diff_lo, scores.rps_diff_hi
    if lo is None or hi is None or not (math.isfinite(lo) and math.isfinite(hi)):
        return "—"
    if hi < 0:
        return "model better"
    if lo > 0:
        return "market better"
    return "no clear difference"


def _signed(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:+.4f}"


def _interval(scores: BacktestScores) -> str:
    lo, hi = _signed(scores.rps_diff_lo), _signed(scores.rps_diff_hi)
    return "—" if "—" in (lo, hi) else f"{lo} to {hi}"


def _backtest_row(season: str, division: str, scores: BacktestScores) -> dict[str, str]:
    return {
        "Season": season,
        "Division": division,
        "Matches": "—" if scores.n is None else str(scores.n),
        "Model RPS": _score("rps", scores.rps),
        "Market RPS": _score("rps", scores.bench_rps),
        "Model − market": _signed(scores.rps_diff),
        "95% interval": _interval(scores),
        "Verdict": _verdict(scores),
    }


def backtest_rows(report: BacktestReport) -> list[dict[str, str]]:
    """The Model page's backtest table: model against market per test season and division, then all of them.

    A row the report holds but cannot be read as scores (no ``rps``) is left out.
    """
    rows = []
    for raw in sorted(report.by_division_season, key=lambda r: (str(r.get("season")), str(r.get("div")))):
        try:
            scores = BacktestScores.model_validate(raw)
        except ValueError:
            continue
        rows.append(_backtest_row(str(raw.get("season", "?")), str(raw.get("div", "?")), scores))
    return [*rows, _backtest_row("all", "all", report.overall)]


def backtest_summary(report: BacktestReport) -> str:
    """One paragraph: what the backtest is, and how the model did against the market over all of it."""
    overall = report.overall
    seasons = ", ".join(report.seasons) or "unknown"
    model = f" ({report.model})" if report.model else ""
    matches = f" ({overall.n} matches)" if overall.n is not None else ""
    text = f"{BACKTEST_EXPLAINED} Over the backtest season(s) {seasons}{matches} the model{model} has an RPS of "
    text += f"{overall.rps:.4f}"
    market = overall.bench_rps
    if market is not None and math.isfinite(market):
        text += _against(overall.rps, market, "the market")
    verdict = _verdict(overall)
    if verdict != "—":
        text += f"; over its 95% interval: {verdict}"
    return text + "."


def backtest_images(backtest: PublishedBacktest) -> list[tuple[str, bytes]]:
    """(title, PNG bytes) of each published backtest plot, in order; one that is not a PNG is left out."""
    images = [(plot.title, reliability_png(plot.png)) for plot in backtest.plots]
    return [(title, png) for title, png in images if png is not None]
