"""The web UI's view rules: cards to rows, the largest model-market difference, filters, tables, the evaluation and
the backtest."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_doubles import BACKTEST
from report_doubles import report as report_double

from serving.ui.views import (
    BACKTEST_EXPLAINED,
    CardRow,
    backtest_images,
    backtest_rows,
    backtest_summary,
    card_markdown,
    card_row,
    card_rows,
    date_bounds,
    divisions,
    drift_history_rows,
    drift_rows,
    evaluation_rows,
    evaluation_summary,
    filter_rows,
    largest_difference,
    match_facts,
    percent,
    readiness_rows,
    reliability_png,
    table,
)
from soccerpredict.models.report import BacktestReport, EvaluationReport, PublishedBacktest

CARD = {  # the build_cards stage's shape (components/publish.py)
    "match_id": "E0-20240817-arsenal-wolves",
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


def _row(match_id: str = "m", division: str | None = "E0", day: date | None = date(2024, 8, 17)) -> CardRow:
    return CardRow(
        match_id=match_id, division=division, date=day, kickoff_time=None, home_team="A", away_team="B",
        model=(0.5, 0.3, 0.2), market=None, model_version="1",
    )  # fmt: skip


def test_a_published_card_becomes_a_row() -> None:
    row = card_row(CARD)
    assert row is not None
    assert (row.home_team, row.away_team, row.division, row.date) == ("Arsenal", "Wolves", "E0", date(2024, 8, 17))
    assert row.model == (0.512, 0.241, 0.247)
    assert row.market == (0.55, 0.23, 0.22)
    assert row.largest_difference == ("home", pytest.approx(-0.038))


@pytest.mark.parametrize(
    "change",
    [{"model": None}, {"model": {"home": 0.5}}, {"model": {"home": "x", "draw": 0, "away": 0}}, {"match_id": None}],
)
def test_a_card_without_model_probabilities_is_left_out(change: dict[str, object]) -> None:
    assert card_row({**CARD, **change}) is None
    assert card_rows([{**CARD, **change}, CARD]) == [card_row(CARD)]


def test_a_card_without_market_odds_has_no_difference() -> None:
    row = card_row({k: v for k, v in CARD.items() if k not in ("market", "edge")})
    assert row is not None
    assert row.market is None
    assert row.largest_difference is None
    assert table([row])[0]["Largest difference"] == "no market odds"
    assert table([row])[0]["Market home"] == "—"


def test_rows_are_ordered_by_date_then_kickoff_then_id_undated_last() -> None:
    cards = [
        {**CARD, "match_id": "c", "date": "2024-08-18"},
        {**CARD, "match_id": "b", "kickoff_time": "17:30"},
        {**CARD, "match_id": "a", "kickoff_time": "12:30"},
        {**CARD, "match_id": "z", "date": None},
    ]
    assert [r.match_id for r in card_rows(cards)] == ["a", "b", "c", "z"]


triples = st.tuples(*[st.floats(0, 1, allow_nan=False)] * 3)


@given(model=triples, market=triples)
def test_the_largest_difference_is_the_outcome_of_the_largest_absolute_gap(
    model: tuple[float, float, float], market: tuple[float, float, float]
) -> None:
    found = largest_difference(model, market)
    assert found is not None
    outcome, gap = found
    gaps = {o: m - k for o, m, k in zip(("home", "draw", "away"), model, market, strict=True)}
    assert gap == gaps[outcome]
    assert all(abs(gap) >= abs(g) for g in gaps.values())


def test_divisions_and_date_bounds() -> None:
    rows = [_row("1", "SP1", date(2024, 8, 20)), _row("2", "E0", date(2024, 8, 17)), _row("3", None, None)]
    assert divisions(rows) == ["E0", "SP1"]
    assert date_bounds(rows) == (date(2024, 8, 17), date(2024, 8, 20))
    assert date_bounds([_row(day=None)]) is None


def test_filter_by_division_and_inclusive_dates() -> None:
    rows = [_row("a", "E0", date(2024, 8, 17)), _row("b", "SP1", date(2024, 8, 18)), _row("c", "E0", None)]
    ids = lambda kept: [r.match_id for r in kept]  # noqa: E731
    assert ids(filter_rows(rows)) == ["a", "b", "c"]
    assert ids(filter_rows(rows, divisions=[])) == ["a", "b", "c"]
    assert ids(filter_rows(rows, divisions=["E0"])) == ["a", "c"]
    assert ids(filter_rows(rows, date_from=date(2024, 8, 18))) == ["b"]
    assert ids(filter_rows(rows, date_from=date(2024, 8, 17), date_to=date(2024, 8, 17))) == ["a"]


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2020, 3, 1))


@given(
    rows=st.lists(st.builds(_row, st.text(min_size=1), st.sampled_from(["E0", "SP1", None]), days | st.none())),
    chosen=st.sets(st.sampled_from(["E0", "SP1"])),
    start=days,
    length=st.integers(0, 40),
)
def test_filtering_keeps_exactly_the_rows_that_match_in_order(
    rows: list[CardRow], chosen: set[str], start: date, length: int
) -> None:
    end = start + timedelta(days=length)
    kept = filter_rows(rows, divisions=chosen, date_from=start, date_to=end)
    expected = [
        r for r in rows if (not chosen or r.division in chosen) and r.date is not None and start <= r.date <= end
    ]
    assert kept == expected


def test_the_table_formats_probabilities_as_percentages() -> None:
    row = card_row(CARD)
    assert row is not None
    shown = table([row])[0]
    assert shown["Kick-off"] == "2024-08-17 15:00"
    assert shown["Match"] == "Arsenal – Wolves"
    assert (shown["Model home"], shown["Model draw"], shown["Model away"]) == ("51.2%", "24.1%", "24.7%")
    assert (shown["Market home"], shown["Market draw"], shown["Market away"]) == ("55.0%", "23.0%", "22.0%")
    assert shown["Largest difference"] == "home (-3.8 pts)"
    assert percent(None) == "—"


def test_match_facts_name_the_model_version_and_when_features_were_computed() -> None:
    prediction = {"home_team": "Arsenal", "away_team": "Wolves", "div": "E0", "date": "2024-08-17",
                  "model_version": "7", "features_as_of": "2024-08-16T06:00:00", "status": "upcoming"}  # fmt: skip
    facts = dict(match_facts(prediction, card_row(CARD)))
    assert facts["Model version"] == "7"
    assert facts["Features computed"] == "2024-08-16T06:00:00"
    assert facts["Kick-off"] == "15:00"
    assert dict(match_facts({}, None))["Match"] == "? – ?"


def test_drift_rows_list_drifted_features_first() -> None:
    summary = {
        "features": [
            {"feature": "b", "score": 0.4, "method": "K-S p_value", "threshold": 0.05, "drifted": False},
            {"feature": "a", "score": 0.01, "method": "K-S p_value", "threshold": 0.05, "drifted": True},
        ]
    }
    assert [r["feature"] for r in drift_rows(summary)] == ["a", "b"]
    assert drift_rows({"summary": "x"}) == []


def _run(day: int, share: float) -> dict[str, object]:
    return {"current_from": "2024-06-17", "current_to": f"2024-08-{day:02d}", "drifted_share": share,
            "features_checked": 4, "features_drifted": round(share * 4),
            "computed_at": datetime(2024, 8, day, 6, tzinfo=UTC)}  # fmt: skip


def test_drift_history_rows_are_oldest_first_with_the_counts() -> None:
    rows = drift_history_rows([_run(16, 0.5), _run(9, 0.25)])
    assert [r["Computed at"].day for r in rows] == [9, 16]
    assert rows[-1] == {"Computed at": datetime(2024, 8, 16, 6, tzinfo=UTC), "Window": "2024-06-17 to 2024-08-16",
                        "Drifted share": 0.5, "Drifted features": "2 of 4"}  # fmt: skip
    assert drift_history_rows([]) == []


def test_readiness_rows_say_which_dependency_is_not_fine() -> None:
    rows = readiness_rows({"predictor": "unreachable", "cache": "ok", "precomputed": "loaded"})
    assert [(r["Dependency"], r["OK"]) for r in rows] == [("predictor", "no"), ("cache", "yes"), ("precomputed", "yes")]


# --- the Model page: the champion's evaluation -------------------------------------------------------------------


def _report(**overrides: object) -> EvaluationReport:
    return EvaluationReport.model_validate(report_double(**overrides))


def test_evaluation_rows_put_the_champion_each_baseline_and_the_market_side_by_side() -> None:
    rows = evaluation_rows(_report())
    assert [row["Metric"] for row in rows] == ["RPS", "Log-loss", "Brier", "Accuracy", "ECE"]
    rps = rows[0]
    assert list(rps)[:5] == ["Metric", "Champion", "climatology", "elo_logit", "Market"]
    assert (rps["Champion"], rps["climatology"], rps["elo_logit"], rps["Market"]) == ("0.1968", "0.2229", "0.2011",
                                                                                      "0.1951")  # fmt: skip
    assert rps["Best"] == "Market" and rps["Better"] == "lower" and "ranked probability score" in rps["Meaning"]
    accuracy = rows[3]
    assert accuracy["Champion"] == "51.2%" and accuracy["Best"] == "Market" and accuracy["Better"] == "higher"
    assert rows[4]["Best"] == "climatology"  # the lowest calibration error


def test_evaluation_rows_show_a_missing_score_as_a_dash_and_drop_a_metric_nobody_has() -> None:
    metrics = {"model": {"rps": 0.19, "log_loss": 0.97}, "climatology": {"rps": 0.22, "n": 10}}
    rows = evaluation_rows(_report(metrics=metrics))
    assert [row["Metric"] for row in rows] == ["RPS", "Log-loss"]
    assert "Market" not in rows[0]  # no market scores: no market column
    assert rows[1]["climatology"] == "—" and rows[1]["Best"] == "Champion"


def test_evaluation_summary_says_what_the_numbers_are_and_how_the_champion_compares() -> None:
    text = evaluation_summary(_report())
    assert "test season(s) 2324 (760 matches)" in text and "Lower is better" in text
    assert "0.1968" in text and "0.0017 behind the closing bookmaker market (0.1951)" in text
    assert "it beats 2 of the 2 baselines on RPS (climatology, elo_logit)." in text
    ahead = report_double()
    ahead["metrics"]["market"]["rps"] = 0.2
    assert "ahead of the closing bookmaker market" in evaluation_summary(EvaluationReport.model_validate(ahead))


def test_reliability_png_decodes_a_png_and_refuses_anything_else() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    assert reliability_png(base64.b64encode(png).decode()) == png
    assert reliability_png(None) is None and reliability_png("") is None
    assert reliability_png("not base64!") is None
    assert reliability_png(base64.b64encode(b"GIF89a").decode()) is None


def test_card_markdown_names_the_figures_it_cannot_show() -> None:
    card = "# Card\n\n![Reliability diagram](reliability.png)\n\ntext ![](x.png)"
    assert card_markdown(card) == "# Card\n\n*(figure: Reliability diagram)*\n\ntext *(figure: untitled)*"
    assert card_markdown(None) is None


def _backtest(**overrides: object) -> BacktestReport:
    return BacktestReport.model_validate({**BACKTEST, **overrides})


def test_backtest_rows_put_model_beside_market_per_season_and_division_then_all() -> None:
    rows = backtest_rows(_backtest())
    assert [(r["Season"], r["Division"]) for r in rows] == [
        ("2223", "E0"), ("2223", "SP1"), ("2324", "E0"), ("2324", "SP1"), ("all", "all")]  # fmt: skip
    assert rows[0] == {
        "Season": "2223",
        "Division": "E0",
        "Matches": "380",
        "Model RPS": "0.1961",
        "Market RPS": "0.1949",
        "Model − market": "+0.0012",
        "95% interval": "-0.0004 to +0.0028",
        "Verdict": "no clear difference",
    }
    assert rows[-1]["Verdict"] == "market better"


@pytest.mark.parametrize(
    ("lo", "hi", "verdict"),
    [(-0.003, -0.001, "model better"), (0.001, 0.003, "market better"), (-0.001, 0.001, "no clear difference"),
     (None, None, "—"), (float("nan"), 0.001, "—")],
)  # fmt: skip
def test_the_verdict_follows_the_side_of_the_interval(lo: float | None, hi: float | None, verdict: str) -> None:
    overall = {**BACKTEST["overall"], "rps_diff_lo": lo, "rps_diff_hi": hi}
    assert backtest_rows(_backtest(overall=overall, by_division_season=[]))[-1]["Verdict"] == verdict


def test_a_backtest_without_a_market_shows_dashes_and_unreadable_rows_are_left_out() -> None:
    overall = {"n": 10, "rps": 0.2, "bench_rps": float("nan"), "rps_diff": None}
    rows = backtest_rows(_backtest(overall=overall, by_division_season=[{"div": "E0", "season": "2324"}]))
    assert len(rows) == 1
    assert (rows[0]["Market RPS"], rows[0]["Model − market"], rows[0]["95% interval"]) == ("—", "—", "—")


def test_backtest_summary_says_what_the_backtest_is_and_how_the_model_did() -> None:
    text = backtest_summary(_backtest())
    assert text.startswith(BACKTEST_EXPLAINED)
    assert "2223, 2324 (1520 matches)" in text and "model (xgb) has an RPS of 0.1972" in text
    assert "0.0017 behind the market (0.1955)" in text and "market better" in text
    unpriced = backtest_summary(_backtest(overall={"n": 10, "rps": 0.2}))
    assert "market" not in unpriced.removeprefix(BACKTEST_EXPLAINED)


def test_backtest_images_decode_the_plots_and_leave_out_what_is_not_a_png() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    plots = [
        {"name": "a.png", "title": "A", "png": base64.b64encode(png).decode()},
        {"name": "b.png", "title": "B", "png": base64.b64encode(b"GIF89a").decode()},
    ]
    published = PublishedBacktest.model_validate({"report": BACKTEST, "plots": plots})
    assert backtest_images(published) == [("A", png)]
