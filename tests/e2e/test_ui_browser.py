"""The web UI in a real headless Chromium: ``python -m serving.ui`` in a child process over the real facade.

The Matches page shows the probabilities the facade's API returns, and a facade that does not answer is a message,
not a traceback. Loopback only: the browser resolves every other host name to nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_doubles import closed_port_url
from needs import missing
from ui_doubles import KEY, serve_facade, serve_ui

from soccerpredict.settings import Settings

#: Any host but the loopback resolves to nothing: the page cannot reach the internet.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
#: The accessible table Streamlit's data grid mirrors its canvas into, as rows of {column header: cell text}.
GRID_SCRIPT = """
const table = document.querySelector('[data-testid="stDataFrame"] table[role="grid"]');
if (!table) return null;
const headers = [...table.querySelectorAll('thead th')].map(th => th.textContent);
return [...table.querySelectorAll('tbody tr')].map(tr =>
    Object.fromEntries([...tr.querySelectorAll('td')].map((td, i) => [headers[i], td.textContent])));
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


def _grid(driver: Any, rows: int) -> list[dict[str, str]]:
    """The Matches table once it shows ``rows`` rows."""
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d: Any) -> Any:
        grid = d.execute_script(GRID_SCRIPT)
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


def test_a_facade_that_does_not_answer_is_a_message(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> None:
    down = closed_port_url()
    with _ui(tmp_path_factory, down) as ui:
        browser.get(f"{ui}/?page=Matches")
        (alert,) = _wait(browser, '[data-testid="stAlert"]')
        assert f"The facade at {down} does not answer" in alert.text
        assert "make run" in alert.text
        assert "Traceback" not in browser.page_source
