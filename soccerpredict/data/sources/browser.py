"""A polite page fetcher: pages loaded in headless Chromium (local or on a Selenium grid), nothing site-specific.

:func:`start_browser` starts the local Debian Chromium through its chromedriver (``Service(executable_path=…)``,
so Selenium Manager never runs) or a session on the remote grid in ``SOCCER_SELENIUM_URL``.
:class:`PageFetcher` loads pages in one such session at a polite pace (:class:`Politeness`: a minimum
interval between loads), retrying timeouts, lost sessions, HTTP 429 and 5xx with exponential backoff.
Selenium is imported only when a browser is started or a page loaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from soccerpredict.errors import ConfigError, SourceError

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from soccerpredict.settings import Settings

__all__ = ["CHROMIUM_ARGUMENTS", "PageFetcher", "Politeness", "start_browser"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Politeness:
    """How gently pages are loaded."""

    #: Minimum seconds from the end of one page load to the start of the next.
    min_interval: float = 5.0
    #: Retries after a timeout, a browser error or HTTP 429/5xx (so ``retries + 1`` attempts in all).
    retries: int = 3
    #: Seconds before the first retry; doubled on each further retry, up to ``backoff_max``.
    backoff: float = 2.0
    backoff_max: float = 120.0
    #: Seconds a page may take to load.
    page_timeout: float = 30.0
    #: Seconds to wait for the expected data to show up in a loaded page (a bot check may redirect first).
    ready_timeout: float = 10.0

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> Politeness:
        """Politeness from ``SOCCER_SCRAPE_*`` settings, with explicit overrides (None: keep the setting)."""
        values: dict[str, Any] = {
            "min_interval": settings.scrape_min_interval,
            "retries": settings.scrape_retries,
            "backoff": settings.scrape_backoff,
            "page_timeout": settings.scrape_page_timeout,
        }
        values |= {key: value for key, value in overrides.items() if value is not None}
        return cls(**values)

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return float(min(self.backoff * 2 ** (retry - 1), self.backoff_max))


#: Chromium switches for scraping: headless, and no background traffic of its own (updates, sync, metrics).
CHROMIUM_ARGUMENTS: Final = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def start_browser(settings: Settings, *, arguments: Iterable[str] = ()) -> WebDriver:
    """A session on the remote Selenium grid in ``SOCCER_SELENIUM_URL``, else a local headless Chromium.

    The local browser is started with the given chromedriver, so Selenium Manager never runs (it would go to
    the network); its profile lives in a temporary folder removed with the driver. Extra Chromium switches
    (a proxy, host rules) come from ``SOCCER_CHROMIUM_ARGUMENTS`` and ``arguments``.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_AVOID_STATS", "true")
    options = Options()
    for argument in (*CHROMIUM_ARGUMENTS, *settings.chromium_arguments, *arguments):
        options.add_argument(argument)
    if settings.selenium_url:
        return webdriver.Remote(command_executor=settings.selenium_url, options=options)
    for what, path, variable in (
        ("Chromium", settings.chromium_path, "SOCCER_CHROMIUM_PATH"),
        ("chromedriver", settings.chromedriver_path, "SOCCER_CHROMEDRIVER_PATH"),
    ):
        if not Path(path).is_file():
            raise ConfigError(
                f"{what} not found at {path}: install it (apt-get install chromium chromium-driver), "
                f"set {variable}, or use a Selenium grid with SOCCER_SELENIUM_URL"
            )
    profile = tempfile.mkdtemp(prefix="soccerpredict-chromium-")
    options.binary_location = str(settings.chromium_path)
    options.add_argument(f"--user-data-dir={profile}")
    try:
        driver = webdriver.Chrome(service=Service(executable_path=str(settings.chromedriver_path)), options=options)
    except Exception:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    weakref.finalize(driver, shutil.rmtree, profile, True)
    return driver


#: The navigation's HTTP status (0 when the browser shows its own error page); null where not supported.
_STATUS_SCRIPT: Final = "const n = performance.getEntriesByType('navigation')[0]; return n ? n.responseStatus : null;"


class _TransientLoadError(Exception):
    """A page load that may work when tried again."""


class PageFetcher:
    """Loads pages in one browser session: rate-limited, retried with exponential backoff.

    The browser starts on the first load (a fetcher that only reads files never starts one) and is
    restarted when its session dies. Use as a context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        start: Callable[[], WebDriver],
        *,
        politeness: Politeness | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._start = start
        self.politeness = politeness or Politeness()
        self._sleep = sleep
        self._clock = clock
        self._driver: WebDriver | None = None
        #: When the last page load ended.
        self._last_load: float | None = None
        #: Every load attempt: (url, outcome), outcome "ok" or why it failed; for reports and tests.
        self.attempts: list[tuple[str, str]] = []

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> PageFetcher:
        """A fetcher with the browser and politeness of the settings."""
        return cls(lambda: start_browser(settings), politeness=Politeness.from_settings(settings, **overrides))

    def __enter__(self) -> PageFetcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Quit the browser, if one was started."""
        driver, self._driver = self._driver, None
        if driver is not None:
            with contextlib.suppress(Exception):  # already dead: nothing left to stop
                driver.quit()

    def fetch(self, url: str, *, ready: Sequence[str] = ()) -> str:
        """The page source of ``url`` once loaded (and, within ``ready_timeout``, holding one of ``ready``).

        Raises :class:`SourceError` for an HTTP error other than 429/5xx, or when every attempt failed.
        """
        failures: list[str] = []
        for attempt in range(self.politeness.retries + 1):
            if attempt:
                self._sleep(self.politeness.delay(attempt))
            try:
                page = self._load(url, ready)
            except _TransientLoadError as exc:
                failures.append(str(exc))
                self.attempts.append((url, str(exc)))
                continue
            self.attempts.append((url, "ok"))
            return page
        raise SourceError(
            f"could not load {url} in {len(failures)} attempts ({'; '.join(failures)}); the site may be down "
            "or rate limiting: retry later, or raise SOCCER_SCRAPE_MIN_INTERVAL"
        )

    def _wait_turn(self) -> None:
        if self._last_load is not None:
            wait = self.politeness.min_interval - (self._clock() - self._last_load)
            if wait > 0:
                self._sleep(wait)

    def _load(self, url: str, ready: Sequence[str]) -> str:
        from selenium.common.exceptions import (
            InvalidSessionIdException,
            NoSuchWindowException,
            TimeoutException,
            WebDriverException,
        )

        self._wait_turn()
        try:
            driver = self._browser()
            try:
                driver.get(url)
            finally:  # counted from the end of a load, the server sees at least min_interval between requests
                self._last_load = self._clock()
            status = driver.execute_script(_STATUS_SCRIPT)
            self._check_status(url, status)
            if ready:
                self._wait_ready(driver, ready)
            return str(driver.page_source)
        except TimeoutException as exc:
            raise _TransientLoadError(f"timed out after {self.politeness.page_timeout:g} s") from exc
        except (InvalidSessionIdException, NoSuchWindowException) as exc:
            self.close()  # the next attempt starts a new browser
            raise _TransientLoadError(f"browser session lost: {exc.msg or type(exc).__name__}") from exc
        except WebDriverException as exc:
            raise _TransientLoadError(f"browser error: {(exc.msg or type(exc).__name__).splitlines()[0]}") from exc

    def _browser(self) -> WebDriver:
        if self._driver is None:
            self._driver = self._start()
            self._driver.set_page_load_timeout(self.politeness.page_timeout)
        return self._driver

    @staticmethod
    def _check_status(url: str, status: Any) -> None:
        if status is None or not isinstance(status, int | float):
            return  # the browser does not say: judge the page by its content
        code = int(status)
        if code == 0:
            raise _TransientLoadError("no response (connection failed)")
        if code == 429 or code >= 500:
            raise _TransientLoadError(f"HTTP {code}")
        if code >= 400:
            raise SourceError(f"{url} answered HTTP {code}: check the URL")

    def _wait_ready(self, driver: WebDriver, ready: Sequence[str]) -> None:
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.support.ui import WebDriverWait

        with contextlib.suppress(TimeoutException):  # the parser says what is missing, with the page's title
            WebDriverWait(driver, self.politeness.ready_timeout, poll_frequency=0.25).until(
                lambda d: any(marker in d.page_source for marker in ready)
            )
