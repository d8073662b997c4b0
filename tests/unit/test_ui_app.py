"""The web UI's pages (serving/ui/app.py) run by Streamlit's AppTest against the real facade over loopback HTTP:
each page renders what the facade answers, and each failure is a message saying what to do, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from api_doubles import closed_port_url
from streamlit.testing.v1 import AppTest
from ui_doubles import HISTORY_SHARES, KEY, NoChampionPredictor, serve_facade

from serving.ui.app import PAGES

APP = str(Path(__file__).resolve().parents[2] / "serving" / "ui" / "app.py")
PROTECTED = ("Matches", "Match", "Model", "Drift")


@pytest.fixture(scope="module")
def facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_facade(tmp_path_factory.mktemp("published")) as url:
        yield url


@pytest.fixture(scope="module")
def empty_facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Nothing published and no champion: a fresh install before the first pipeline run."""
    with serve_facade(tmp_path_factory.mktemp("empty"), predictor=NoChampionPredictor(), published=False) as url:
        yield url


@pytest.fixture(scope="module")
def no_backtest_facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A champion whose run logged no backtest (registered before register_model logged it)."""
    with serve_facade(tmp_path_factory.mktemp("no-backtest"), backtest=False) as url:
        yield url


@pytest.fixture(scope="module")
def no_fixtures_facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_facade(tmp_path_factory.mktemp("no-fixtures"), matches=(), drift=False) as url:
        yield url


@pytest.fixture(scope="module")
def one_run_facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A drift history of a single monitor_drift run."""
    with serve_facade(tmp_path_factory.mktemp("one-run"), history=(0.5,)) as url:
        yield url


@pytest.fixture(scope="module")
def no_history_facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A drift summary but no history: published before monitor_drift kept one."""
    with serve_facade(tmp_path_factory.mktemp("no-history"), history=None) as url:
        yield url


def run(monkeypatch: pytest.MonkeyPatch, url: str, page: str, *, key: str | None = KEY) -> AppTest:
    """The app as the facade at ``url`` with ``key`` would show ``page``, after one run."""
    monkeypatch.setenv("SOCCER_UI_API_URL", url)
    if key is None:
        monkeypatch.delenv("SOCCER_UI_API_KEY", raising=False)
    else:
        monkeypatch.setenv("SOCCER_UI_API_KEY", key)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"] = page
    at.run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    """Every text the page shows (messages, markdown, captions, metrics, tables)."""
    shown: list[Any] = [e.value for kind in ("markdown", "caption", "error", "info", "warning", "success", "header")
                        for e in getattr(at, kind)]  # fmt: skip
    shown += [f"{m.label} {m.value} {m.delta or ''}" for m in at.metric]
    shown += [frame.value.to_csv() for frame in at.dataframe]
    shown += [table.value.to_csv() for table in at.table]
    return [str(s) for s in shown]


def test_matches_lists_the_cards_with_model_and_market_probabilities(
    monkeypatch: pytest.MonkeyPatch, facade: str
) -> None:
    at = run(monkeypatch, facade, "Matches")
    frame = at.dataframe[0].value
    assert list(frame["Match"]) == ["Arsenal – Wolves", "Chelsea – Man City", "Sevilla – Villarreal"]
    first = frame.iloc[0]
    assert (first["Model home"], first["Model draw"], first["Model away"]) == ("51.2%", "24.1%", "24.7%")
    assert (first["Market home"], first["Market draw"], first["Market away"]) == ("55.0%", "23.0%", "22.0%")
    assert first["Largest difference"] == "home (-3.8 pts)"
    assert frame.iloc[2]["Largest difference"] == "no market odds"


def test_matches_filter_by_division_and_date(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Matches")
    at.multiselect(key="divisions").set_value(["SP1"]).run()
    assert list(at.dataframe[0].value["Match id"]) == ["SP1-20240818-sevilla-villarreal"]
    at.multiselect(key="divisions").set_value([]).run()
    at.date_input(key="dates").set_value((date(2024, 8, 17), date(2024, 8, 17))).run()
    assert list(at.dataframe[0].value["Match id"]) == ["E0-20240817-arsenal-wolves"]


def test_match_shows_the_model_beside_the_market_with_version_and_features_time(
    monkeypatch: pytest.MonkeyPatch, facade: str
) -> None:
    at = run(monkeypatch, facade, "Match")
    assert at.selectbox(key="match").value == "E0-20240817-arsenal-wolves"
    assert [(m.label, m.value) for m in at.metric] == [
        ("Model: home", "51.2%"), ("Model: draw", "24.1%"), ("Model: away", "24.7%")
    ]  # fmt: skip
    assert at.metric[0].delta == "-3.8 pts vs market 55.0%"
    facts = at.table[0].value
    assert facts["Model version"].iloc[0] == "7"
    assert facts["Features computed"].iloc[0] == "2024-08-16T06:00:00"
    at.selectbox(key="match").set_value("SP1-20240818-sevilla-villarreal").run()
    assert at.metric[0].value == "40.1%"
    assert any("No market odds" in t for t in texts(at))


def test_match_opens_the_match_named_in_the_url(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    monkeypatch.setenv("SOCCER_UI_API_URL", facade)
    monkeypatch.setenv("SOCCER_UI_API_KEY", KEY)
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["page"], at.query_params["match"] = "Match", "E0-20240818-chelsea-man-city"
    at.run()
    assert at.metric[2].value == "51.7%"


def test_model_shows_the_served_version(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Model")
    assert {m.label: m.value for m in at.metric} == {"Model": "soccer-1x2", "Version": "7", "Alias": "—"}


def test_model_shows_the_champions_evaluation_against_the_baselines_and_the_market(
    monkeypatch: pytest.MonkeyPatch, facade: str
) -> None:
    at = run(monkeypatch, facade, "Model")
    assert not at.error and not at.warning  # the published evaluation is of the served version
    table = next(frame.value for frame in at.dataframe if "Metric" in frame.value.columns)
    assert list(table["Metric"]) == ["RPS", "Log-loss", "Brier", "Accuracy", "ECE"]
    rps = table.iloc[0]
    assert (rps["Champion"], rps["climatology"], rps["elo_logit"], rps["Market"], rps["Best"]) == (
        "0.1968", "0.2229", "0.2011", "0.1951", "Market")  # fmt: skip
    assert any("closing bookmaker market" in text for text in texts(at))
    assert len(at.get("image")) == 2  # the reliability plot and the backtest's plot
    assert at.expander[0].label == "Model card"


def test_model_shows_the_champions_backtest_against_the_market_per_season(
    monkeypatch: pytest.MonkeyPatch, facade: str
) -> None:
    at = run(monkeypatch, facade, "Model")
    assert [h.value for h in at.subheader][-1] == "Backtest"
    table = at.dataframe[-1].value
    assert list(table["Season"]) == ["2223", "2223", "2324", "2324", "all"]
    overall = table.iloc[-1]
    assert (overall["Matches"], overall["Model RPS"], overall["Market RPS"], overall["Verdict"]) == (
        "1520", "0.1972", "0.1955", "market better")  # fmt: skip
    assert any(text.startswith("The walk-forward backtest replays the past") for text in texts(at))
    assert "Model minus closing market RPS by division" in str(at.get("image")[-1].proto)


def test_model_says_when_the_champions_run_has_no_backtest(
    monkeypatch: pytest.MonkeyPatch, no_backtest_facade: str
) -> None:
    at = run(monkeypatch, no_backtest_facade, "Model")
    assert not at.error and [h.value for h in at.subheader][-1] == "Backtest"
    assert any("logged no backtest" in info.value for info in at.info)
    assert len(at.get("image")) == 1  # the reliability plot only


def test_drift_shows_the_summary_and_embeds_the_report(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Drift")
    assert {m.label: m.value for m in at.metric}["Drifted share"] == "50.0%"
    assert list(at.dataframe[0].value["feature"]) == ["elo_diff", "form_home"]
    assert [h.value for h in at.subheader] == ["Drifted share over time", "Latest run"]
    at.checkbox(key="drift_report").check().run()
    assert not at.exception
    assert not at.error


def test_drift_charts_the_drifted_share_of_every_run(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Drift")
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["layer"][0]["mark"]["type"] == "line"
    assert spec["layer"][0]["encoding"]["x"]["field"] == "Computed at"
    assert spec["layer"][0]["encoding"]["x"]["type"] == "temporal"
    (dataset,) = chart.proto.datasets
    points = pa.ipc.open_stream(dataset.data.data).read_all().to_pandas()
    assert tuple(points["Drifted share"]) == HISTORY_SHARES  # oldest first
    assert any(f"{len(HISTORY_SHARES)} monitor_drift runs, 2024-06-28 to 2024-08-16" in t for t in texts(at))


def test_drift_of_a_single_run_is_a_one_row_table(monkeypatch: pytest.MonkeyPatch, one_run_facade: str) -> None:
    at = run(monkeypatch, one_run_facade, "Drift")
    assert not at.get("vega_lite_chart")
    history = at.dataframe[0].value
    assert list(history["Window"]) == ["2024-06-17 to 2024-08-16"]
    assert list(history["Drifted features"]) == ["1 of 2"]
    assert list(history["Drifted share"]) == [0.5]
    assert list(at.dataframe[1].value["feature"]) == ["elo_diff", "form_home"]  # the latest summary, below


def test_drift_without_a_history_still_shows_the_summary(
    monkeypatch: pytest.MonkeyPatch, no_history_facade: str
) -> None:
    at = run(monkeypatch, no_history_facade, "Drift")
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Nothing published yet")
    assert "the drift history" in at.error[0].value
    assert {m.label: m.value for m in at.metric}["Drifted share"] == "50.0%"


def test_status_shows_each_dependency_and_the_model_version(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Status")
    assert at.success[0].value == f"The facade at {facade} is ready."
    checks = dict(zip(at.dataframe[0].value["Dependency"], at.dataframe[0].value["State"], strict=True))
    assert checks["predictor"] == "ok"
    assert checks["precomputed"] == "loaded"
    assert any("version `7`" in t for t in texts(at))


def test_the_sidebar_switches_pages(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Matches")
    assert at.sidebar.radio(key="page").options == list(PAGES)
    at.sidebar.radio(key="page").set_value("Model").run()
    assert at.header[0].value == "Model"
    assert at.query_params["page"] == "Model"


@pytest.mark.parametrize("page", list(PAGES))
def test_the_key_never_reaches_the_page(monkeypatch: pytest.MonkeyPatch, facade: str, page: str) -> None:
    at = run(monkeypatch, facade, page)
    assert not any(KEY in t for t in texts(at))


@pytest.mark.parametrize("page", list(PAGES))
def test_facade_down_says_to_start_it(monkeypatch: pytest.MonkeyPatch, page: str) -> None:
    url = closed_port_url()
    at = run(monkeypatch, url, page)
    assert len(at.error) == 1
    assert at.error[0].value.startswith(f"The facade at {url} does not answer")
    assert "make run" in at.error[0].value


@pytest.mark.parametrize("page", PROTECTED)
@pytest.mark.parametrize("key", ["wrong-key", None])
def test_a_refused_key_says_which_setting_to_fix(
    monkeypatch: pytest.MonkeyPatch, facade: str, page: str, key: str | None
) -> None:
    at = run(monkeypatch, facade, page, key=key)
    assert len(at.error) == 1
    assert "refused this UI's API key (401)" in at.error[0].value
    assert "Set SOCCER_UI_API_KEY to one of the facade's SOCCER_API_KEYS and restart the UI." in at.error[0].value


def test_status_answers_without_a_key_but_says_the_model_needs_one(
    monkeypatch: pytest.MonkeyPatch, facade: str
) -> None:
    at = run(monkeypatch, facade, "Status", key="wrong-key")
    assert at.success  # /health/ready is open
    assert "SOCCER_UI_API_KEY" in at.error[0].value


@pytest.mark.parametrize("page", ["Matches", "Match", "Drift"])
def test_nothing_published_says_to_run_the_pipeline(
    monkeypatch: pytest.MonkeyPatch, empty_facade: str, page: str
) -> None:
    at = run(monkeypatch, empty_facade, page)
    assert len(at.error) == 1
    assert at.error[0].value.startswith("Nothing published yet")
    assert "run the pipeline" in at.error[0].value


@pytest.mark.parametrize("page", ["Model", "Status"])
def test_no_champion_says_to_train_and_promote_one(
    monkeypatch: pytest.MonkeyPatch, empty_facade: str, page: str
) -> None:
    at = run(monkeypatch, empty_facade, page)
    assert at.error[0].value.startswith("No champion model yet")


def test_status_of_a_facade_without_a_model_is_not_ready(monkeypatch: pytest.MonkeyPatch, empty_facade: str) -> None:
    at = run(monkeypatch, empty_facade, "Status")
    assert at.warning[0].value.endswith("is not ready: predictor: not ready (HTTP 503).")
    checks = dict(zip(at.dataframe[0].value["Dependency"], at.dataframe[0].value["OK"], strict=True))
    assert checks == {"predictor": "no", "cache": "no", "precomputed": "no"}


@pytest.mark.parametrize("page", ["Matches", "Match"])
def test_no_fixtures_says_so(monkeypatch: pytest.MonkeyPatch, no_fixtures_facade: str, page: str) -> None:
    at = run(monkeypatch, no_fixtures_facade, page)
    assert not at.error
    assert at.info[0].value.startswith("No fixtures")


def test_a_filter_that_matches_nothing_says_to_widen_it(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Matches")
    at.multiselect(key="divisions").set_value(["SP1"]).run()
    at.date_input(key="dates").set_value((date(2024, 8, 17), date(2024, 8, 17))).run()
    assert not at.dataframe
    assert at.info[0].value.startswith("No match in this division and date range")


def test_a_bug_in_a_page_is_a_message_not_a_traceback(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    from serving.ui.client import FacadeClient

    def broken(self: FacadeClient) -> None:
        raise RuntimeError("a bug with internals in its message")

    monkeypatch.setattr(FacadeClient, "cards", broken)
    at = run(monkeypatch, facade, "Matches")
    assert at.error[0].value.startswith("The Matches page failed unexpectedly")
    assert not any("internals" in t for t in texts(at))


def test_selecting_a_row_of_matches_shows_that_match(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Matches")
    assert not at.metric
    at.session_state["table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert at.subheader[0].value == "Chelsea – Man City"
    assert [m.value for m in at.metric] == ["23.1%", "25.2%", "51.7%"]
    assert at.metric[2].delta == "-6.3 pts vs market 58.0%"


def test_new_filters_forget_the_selected_row(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    at = run(monkeypatch, facade, "Matches")
    at.session_state["table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.subheader[0].value == "Arsenal – Wolves"
    at.date_input(key="dates").set_value((date(2024, 8, 18), date(2024, 8, 18))).run()
    assert list(at.dataframe[0].value["Match"]) == ["Chelsea – Man City", "Sevilla – Villarreal"]
    assert not at.subheader  # row 0 is another match now: nothing stays selected


def test_a_malformed_setting_is_named_not_a_traceback(monkeypatch: pytest.MonkeyPatch, facade: str) -> None:
    monkeypatch.setenv("SOCCER_UI_TIMEOUT", "-1")
    at = run(monkeypatch, facade, "Matches")
    assert at.error[0].value.startswith("The web UI's settings are malformed (SOCCER_UI_TIMEOUT)")
