"""Debian's Chromium driven by Selenium through Debian's chromium-driver: a member of
city hall's staff at the console. Fake camera and microphone (Chromium's own, or
*video*/*audio* files), media allowed without asking, headless."""

import contextlib
import logging
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

from selenium import webdriver
from selenium.common.exceptions import (
    StaleElementReferenceException,
    TimeoutException,
    WebDriverException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.wait import WebDriverWait

from tests.console.server import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 20.0
STARTS = 3
"""Chromium started at most this often for its first page (see :meth:`StaffAtConsole.open`)."""
SIZES = {"laptop": (1366, 768), "desktop": (1920, 1080)}
"""The screens staff have: a 1366×768 laptop and a 1920×1080 desktop monitor."""

T = TypeVar("T")


class StaffAtConsole:
    """One browser; :meth:`close` (twice is harmless)."""

    def __init__(
        self,
        base_url: str,
        folder: Path,
        size: tuple[int, int] = SIZES["laptop"],
        video: Path | None = None,
        audio: Path | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.base_url = base_url
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._arguments = (
            "--headless=new",
            "--no-sandbox",  # root in the test machine
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-breakpad",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            "--autoplay-policy=no-user-gesture-required",
            "--lang=ko-KR",
            f"--window-size={size[0]},{size[1]}",
            *([f"--use-file-for-fake-video-capture={video}"] if video else []),
            *([f"--use-file-for-fake-audio-capture={audio}"] if audio else []),
            *extra_args,
        )
        self._starts = 0
        self._opened = False
        self.driver = self._start()
        self._closed = False

    def _start(self) -> webdriver.Chrome:
        """Chromium and its driver, with a profile of its own for each start."""
        self._starts += 1
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in (*self._arguments, f"--user-data-dir={self.folder / f'profile-{self._starts}'}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        log = self.folder / f"chromedriver-{self._starts}.log"
        service = Service(CHROMEDRIVER, log_output=str(log))
        driver = webdriver.Chrome(options=options, service=service)
        driver.set_page_load_timeout(WAIT_S)
        return driver

    def open(self, path: str) -> None:
        """Show *path*. A browser whose very first page does not load within WAIT_S is
        started again, at most :data:`STARTS` times in all: Chromium stalls at start now
        and then on a busy machine, before any page ("Timed out receiving message from
        renderer"; the call tests' StaffBrowser meets the same; one CI run met it twice
        in a row). Any later page that does not load fails."""
        url = self.base_url + path
        if self._opened:
            self.driver.get(url)
            return
        for start in range(1, STARTS + 1):
            try:
                self.driver.get(url)
                break
            except TimeoutException:
                if start == STARTS:
                    raise
                logging.getLogger(__name__).info("chromium did not load its first page; again")
                self._quit()
                self.driver = self._start()
        self._opened = True

    def sign_in(self, login: str, password: str = PASSWORD) -> None:
        """Type *login* and *password* into the sign-in page and press 로그인."""
        self.open("/login")
        self.find("#login").send_keys(login)
        self.find("#password").send_keys(password)
        page = self.find("html")
        self.find("form button[type=submit]").click()
        # Returns once the answer to the POST is the page shown: a page opened before
        # would cancel the sign-in (readyState alone can be the old page's).
        self.wait(lambda: gone(page))
        self.wait(lambda: self.driver.execute_script("return document.readyState") == "complete")

    def find(self, css: str) -> WebElement:
        return self.wait(lambda: _first(self.driver.find_elements(By.CSS_SELECTOR, css)))

    def texts(self, css: str) -> list[str]:
        return [e.text for e in self.driver.find_elements(By.CSS_SELECTOR, css)]

    def wait(self, check: Callable[[], T | None], seconds: float = WAIT_S) -> T:
        """*check*'s first truthy value, polled by Selenium's WebDriverWait."""
        waiting: WebDriverWait[webdriver.Chrome] = WebDriverWait(
            self.driver, seconds, poll_frequency=0.05
        )
        return waiting.until(lambda _d: check())  # type: ignore[return-value]

    def shot(self, path: Path, size: tuple[int, int] | None = None) -> Path:
        """A PNG of the page as staff see it (at *size*, if given)."""
        if size is not None:
            self.driver.set_window_size(*size)
        path.parent.mkdir(parents=True, exist_ok=True)
        assert self.driver.save_screenshot(str(path)), path
        return path

    def console_errors(self) -> list[str]:
        """The page's JavaScript errors so far (a test may assert there are none)."""
        return [
            entry["message"]
            for entry in self.driver.get_log("browser")
            if entry.get("level") == "SEVERE"
        ]

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._quit()

    def _quit(self) -> None:
        """Quit the current browser; a stalled one that outlives its driver's quit (seen:
        a first start that never loaded) is killed by its profile, so that it does not
        weigh on the tests after."""
        with contextlib.suppress(Exception):  # a dead browser is closed already
            self.driver.quit()
        profile = f"--user-data-dir={self.folder / f'profile-{self._starts}'}".encode()
        for proc in Path("/proc").iterdir():
            with contextlib.suppress(OSError, ValueError):
                if proc.name.isdigit() and profile in (proc / "cmdline").read_bytes():
                    os.kill(int(proc.name), signal.SIGKILL)


def gone(element: WebElement) -> bool:
    """Whether *element*'s page has been replaced (a navigation has begun and its
    document is gone). Selenium's ``staleness_of`` does not suffice: mid-navigation
    chromedriver may answer "Node with given id does not belong to the document"
    as a plain WebDriverException (a CI run failed on it in ``sign_in``)."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as err:
        if "does not belong to the document" in str(err):
            return True
        raise
    return False


def _first(elements: list[WebElement]) -> WebElement | None:
    return elements[0] if elements else None


@contextlib.contextmanager
def staff_browser(base_url: str, folder: Path, **options: object) -> Iterator[StaffAtConsole]:
    browser = StaffAtConsole(base_url, folder, **options)  # type: ignore[arg-type]
    try:
        yield browser
    finally:
        browser.close()
