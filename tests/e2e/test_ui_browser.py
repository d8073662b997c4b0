"""The web UI in a real headless Chromium: ``python -m serving.ui`` in a child process over the real facade.

The Matches page shows the probabilities the facade's API returns, the Model page the champion's published evaluation
(its scores and its reliability plot), and a facade that does not answer is a message, not a traceback. Loopback
only: the browser resolves every other host name to nothing.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_doubles import closed_port_url
from needs import missing
from report_doubles import REPORT
from ui_doubles import KEY, serve_facade, serve_ui, tiny_png

from soccerpredict.settings import Settings

#: Any host but the loopback resolves to nothing: the page cannot reach the internet.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
#: The accessible tables Streamlit's data grids mirror their canvas into, as rows of {column header: cell text};
#: the first grid whose headers include ``arguments[0]``.
GRID_SCRIPT = """
for (const table of document.querySelectorAll('[data-testid="stDataFrame"] table[role="grid"]')) {
    const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent);
    if (!headers.includes(arguments[0])) continue;
    return [...table.querySelectorAll('tbody tr')].map(tr =>
        Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [headers[i], td.textContent])));
}
return null;
"""
#: The images of the page that the browser has loaded, with their caption and natural size.
IMAGES_SCRIPT = """
return [...document.querySelectorAll('[data-testid="stImage"]')].map(figure => {
    const img = figure.querySelector('img');
    return {loaded: !!img && img.complete && img.naturalWidth > 0, width: img ? img.naturalWidth : 0,
            height: img ? img.naturalHeight : 0, src: img ? img.src : '', caption: figure.innerText.trim()};
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    settings = Settings()
    for path in (settings.chromium_path, settings.chromedriver_path):
        if not Path(path).is_file():
            missing(f"{path} is not installed (make system-deps)")
    from soccerpredict.data.sources.browser import start_browser

    driver = start_browser(settings, arguments=[OFFLINE, "--window-size=1600,1000"])
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def facade(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with serve_facade(tmp_path_factory.mktemp("facade")) as url:
        yield url


def _ui(tmp_path_factory: pytest.TempPathFactory, facade_url: str) -> Any:
    return serve_ui(facade_url, home=tmp_path_factory.mktemp("home"), cwd=tmp_path_factory.mktemp("cwd"))


def _wait(driver: Any, css: str) -> list[Any]:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 60).until(lambda d: d.find_elements("css selector", css))


def _grid(driver: Any, rows: int, *, column: str = "Match id") -> list[dict[str, str]]:
    """The table with a ``column`` header (the Matches table by default) once it shows ``rows`` rows."""
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> Any:
        grid = d.execute_script(GRID_SCRIPT, column)
        return grid if grid and len(grid) == rows else None

    return WebDriverWait(driver, 60).until(shown)


def test_the_matches_page_shows_the_probabilities_the_api_returns(
    browser: Any, facade: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    cards = httpx.get(f"{facade}/predict/cards/", headers={"X-API-Key": KEY}).json()
    with _ui(tmp_path_factory, facade) as ui:
        browser.get(f"{ui}/?page=Matches")
        grid = _grid(browser, len(cards))
        by_id = {row["Match id"]: row for row in grid}
        assert set(by_id) == {card["match_id"] for card in cards}
        for card in cards:
            row, market = by_id[card["match_id"]], card.get("market")
            for outcome in ("home", "draw", "away"):
                assert row[f"Model {outcome}"] == f"{100 * card['model'][outcome]:.1f}%"
                assert row[f"Market {outcome}"] == (f"{100 * market[outcome]:.1f}%" if market else "—")
        assert KEY not in browser.page_source


def test_the_model_page_shows_the_champions_evaluation_its_reliability_plot_and_its_backtest(
    browser: Any, facade: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from PIL import Image
    from selenium.webdriver.support.ui import WebDriverWait

    published = httpx.get(f"{facade}/monitoring/model/evaluation", headers={"X-API-Key": KEY}).json()
    scores = published["evaluation"]["metrics"]
    assert scores["model"]["rps"] == REPORT["metrics"]["model"]["rps"]  # the sample the doubles published
    with _ui(tmp_path_factory, facade) as ui:
        browser.get(f"{ui}/?page=Model")
        grid = _grid(browser, 5, column="Metric")
        by_metric = {row["Metric"]: row for row in grid}
        assert list(by_metric) == ["RPS", "Log-loss", "Brier", "Accuracy", "ECE"]
        columns = {"Champion": "model", "climatology": "climatology", "elo_logit": "elo_logit", "Market": "market"}
        for label, metric in (("RPS", "rps"), ("Log-loss", "log_loss"), ("Brier", "brier"), ("ECE", "ece")):
            for column, forecaster in columns.items():
                assert by_metric[label][column] == f"{scores[forecaster][metric]:.4f}"
        assert by_metric["Accuracy"]["Champion"] == f"{100 * scores['model']['accuracy']:.1f}%"
        assert (by_metric["RPS"]["Best"], by_metric["RPS"]["Better"]) == ("Market", "lower")
        assert by_metric["Accuracy"]["Better"] == "higher"
        summary = "The champion's RPS is 0.1968, 0.0017 behind the closing bookmaker market (0.1951)"
        assert summary in browser.find_element("css selector", '[data-testid="stMain"]').text
        image, backtest_plot = WebDriverWait(browser, 60).until(
            lambda d: (images := d.execute_script(IMAGES_SCRIPT)) and len(images) == 2
            and all(i["loaded"] for i in images) and images
        )  # fmt: skip
        assert (image["width"], image["height"]) == (4, 4)  # the published PNG itself, as the browser decoded it
        assert image["caption"].startswith("Reliability: forecast probability against observed frequency")
        shown = Image.open(io.BytesIO(httpx.get(image["src"]).content))
        published_png = Image.open(io.BytesIO(tiny_png()))
        assert shown.format == "PNG" and shown.convert("RGB").tobytes() == published_png.convert("RGB").tobytes()
        backtest = {row["Season"]: row for row in _grid(browser, 5, column="Season")}
        overall = published["backtest"]["report"]["overall"]
        assert (backtest["all"]["Model RPS"], backtest["all"]["Market RPS"]) == (
            f"{overall['rps']:.4f}", f"{overall['bench_rps']:.4f}")  # fmt: skip
        assert backtest_plot["caption"] == published["backtest"]["plots"][0]["title"]
        assert KEY not in browser.page_source


def test_a_facade_that_does_not_answer_is_a_message(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    down = closed_port_url()
    with _ui(tmp_path_factory, down) as ui:
        browser.get(f"{ui}/?page=Matches")
        (alert,) = _wait(browser, '[data-testid="stAlert"]')
        assert f"The facade at {down} does not answer" in alert.text
        assert "make run" in alert.text
        assert "Traceback" not in browser.page_source
