"""Browser fixtures: the app served on 127.0.0.1 by a real server, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.live_server import served

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox: tests run as root in containers; the rest keeps chromium from calling home (no network here).
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI runs the browser tests: {CHROMIUM} is missing (scripts/test installs Debian's chromium)")
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install chromium to run these)")
    return CHROMIUM


@pytest.fixture(scope="session")
def browser(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_server(app):
    """The test app (shipped directory, settable clock) behind werkzeug's real HTTP server, in a thread."""
    with served(app, "console-live-server") as base:
        yield base


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
