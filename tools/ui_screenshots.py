"""Screenshots of the web UI's pages for docs/ui.md, one PNG per page: `make screenshots`, or

    python tools/ui_screenshots.py --out docs/ui

It starts what tests/e2e/test_ui_browser.py starts: the real facade on a loopback port over what the pipeline
publishes (the predictions, cards, drift and evaluation of tests/ui_doubles.py, with the model card's shipped
reliability plot, docs/model-card/reliability.png, and its by-division plot as the backtest's) and
``python -m serving.ui`` in a child process over it, then opens each page in headless Chromium (loopback only) and
saves it. Nothing on the pages depends on the clock: the published objects carry fixed dates, so the same source
gives the same pictures (up to font rendering).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]  # the project, and the test doubles that publish its objects

from soccerpredict.settings import Settings  # noqa: E402

#: The reliability plot the Model page shows: the model card's own (a real evaluation's, not a test stand-in).
PLOT = REPO / "docs" / "model-card" / "reliability.png"
#: The backtest plot it shows: the model card's model-against-market plot by division (a real evaluation's too).
BACKTEST_PLOT = REPO / "docs" / "model-card" / "rps_by_division.png"
#: The facade's port when free: the UI's default SOCCER_UI_API_URL, which the pages show (a random port would change
#: every picture).
FACADE_PORT = 8000
#: Any host but the loopback resolves to nothing: the pages cannot reach the internet.
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
#: True once Streamlit has finished the script run and every image of the page has loaded.
SETTLED_SCRIPT = """
if (document.querySelector('[data-testid="stStatusWidget"] [data-testid="stStatusWidgetRunningIcon"]')) return false;
if (!document.querySelector('[data-testid="stMainBlockContainer"] [data-testid="stHeading"]')) return false;
return [...document.images].every(img => img.complete && img.naturalWidth > 0);
"""
#: The height the page's content needs (Streamlit scrolls its main area, not the document).
HEIGHT_SCRIPT = """
const block = document.querySelector('[data-testid="stMainBlockContainer"]');
return block ? Math.ceil(block.getBoundingClientRect().bottom + 48) : 0;
"""


@dataclass(frozen=True, kw_only=True)
class Shot:
    """One page to capture: its name in the sidebar, extra query parameters, and what must be on it first."""

    page: str
    query: str = ""
    shows: str = '[data-testid="stDataFrame"] canvas'

    @property
    def file(self) -> str:
        return f"{self.page.lower()}.png"


def shots() -> list[Shot]:
    """Every page of the UI, the Match page on a match the market priced."""
    from ui_doubles import MATCHES

    return [
        Shot(page="Matches"),
        Shot(page="Match", query=f"&match={MATCHES[1][0]}", shows='[data-testid="stMetric"]'),
        Shot(page="Model", shows='[data-testid="stImage"] img'),
        Shot(page="Drift", shows='[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg'),
        Shot(page="Status"),
    ]


@contextmanager
def ui_over_published(work: Path) -> Iterator[str]:
    """The facade over the published doubles and the UI over it, under ``work``; yields the UI's URL."""
    from ui_doubles import serve_facade, serve_ui

    from serving.stack import free_port

    (work / "home").mkdir()
    (work / "cwd").mkdir()
    port = free_port(FACADE_PORT)
    if port != FACADE_PORT:
        print(f"port {FACADE_PORT} is taken (a facade running?): the pictures show another port", file=sys.stderr)
    with (
        serve_facade(
            work / "facade", plot=PLOT.read_bytes(), backtest_plot=BACKTEST_PLOT.read_bytes(), port=port
        ) as facade,
        serve_ui(facade, home=work / "home", cwd=work / "cwd") as ui,
    ):
        yield ui


def _until(driver: Any, check: Callable[[Any], Any], what: str, timeout: float = 60) -> Any:
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        return WebDriverWait(driver, timeout).until(check)
    except TimeoutException:
        raise SystemExit(f"the page never showed {what}") from None


def capture(driver: Any, url: str, shot: Shot, *, width: int, height: int) -> bytes:
    """The page at ``width`` pixels, ``height`` or taller when its content needs it, once Streamlit has settled."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(f"{url}/?page={shot.page}{shot.query}")
    _until(driver, lambda d: d.find_elements("css selector", shot.shows), shot.shows)
    _until(driver, lambda d: d.execute_script(SETTLED_SCRIPT), "a finished run")
    needed = max(height, int(driver.execute_script(HEIGHT_SCRIPT)))
    if needed > height:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": needed, "deviceScaleFactor": 1, "mobile": False},
        )
    time.sleep(1.0)  # Streamlit fades elements in and the data grid repaints its canvas after a resize
    _until(driver, lambda d: d.execute_script(SETTLED_SCRIPT), "a finished run")
    return bytes(driver.get_screenshot_as_png())


def small_png(png: bytes) -> bytes:
    """``png`` as an optimised palette PNG: screenshots are flat colours and text, 256 colours keep them sharp."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out, format="PNG", optimize=True
    )
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "ui", help="folder of the PNGs (docs/ui)")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels")
    parser.add_argument("--height", type=int, default=900, help="window height in pixels (taller pages grow)")
    args = parser.parse_args(argv)

    from soccerpredict.data.sources.browser import start_browser

    args.out.mkdir(parents=True, exist_ok=True)
    driver = start_browser(Settings(), arguments=[OFFLINE, "--hide-scrollbars", "--force-device-scale-factor=1"])
    try:
        with (
            tempfile.TemporaryDirectory(prefix="soccerpredict-screenshots-") as work,
            ui_over_published(Path(work)) as ui,
        ):
            for shot in shots():
                png = small_png(capture(driver, ui, shot, width=args.width, height=args.height))
                (args.out / shot.file).write_bytes(png)
                print(f"{args.out / shot.file}: {len(png) // 1024} KB")
    finally:
        driver.quit()


if __name__ == "__main__":
    main()
