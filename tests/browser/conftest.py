"""Chromium driven by Playwright against a live server on a fake clock.

Every test gets its own server (a fresh database) and fresh browser contexts; the browser
itself is started once. Deadlines fire when a test moves the clock and runs the engine, so
reminders, penalties and revokes take milliseconds, not minutes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.browser.city import LiveCity
from tests.live import serve_in_thread

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}

# navigator.vibrate is recorded so a test can see that the phone vibrated, and how.
RECORD_VIBRATIONS = """
window.__vibrations = [];
Object.defineProperty(Navigator.prototype, "vibrate", {
  configurable: true,
  value: function (pattern) { window.__vibrations.push(pattern); return true; },
});
"""


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (scripts/test installs it)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield instance
    instance.close()


@pytest.fixture(scope="session", autouse=True)
def screenshots() -> Path:
    """A clean folder for this run's screenshots (not committed)."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture
def store() -> str:
    """The clients are tested on the embedded store only: the store is not what they test."""
    return "sqlite"


@pytest.fixture
def base_url(app: FastAPI) -> Iterator[str]:
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def city(base_url: str) -> Iterator[LiveCity]:
    live = LiveCity(base_url)
    yield live
    live.close()


def _context(browser: Browser, base_url: str, **options: object) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=base_url, **options)  # type: ignore[arg-type]
    context.add_init_script(RECORD_VIBRATIONS)
    context.set_default_timeout(5000)
    yield context
    context.close()


@pytest.fixture
def phone(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A phone-sized touch browser in English."""
    yield from _context(browser, base_url, locale="en-US", **PHONE)


@pytest.fixture
def desk(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """The dispatcher's desktop browser in English."""
    yield from _context(browser, base_url, locale="en-US", **DESKTOP)
