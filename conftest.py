"""Test set-up shared by the whole suite: the headless browser for ``@pytest.mark.browser`` tests.

Browser tests drive the real site with Playwright for Python in Debian's
Chromium (``apt-get install chromium``); Playwright's own browser download does
not work on these machines. Without Chromium they are skipped on a laptop and
fail in CI (``CI=true``), so CI can never pass by quietly skipping them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page
    from pytest_django.live_server_helper import LiveServer

# Playwright's sync API runs an event loop in the test thread; Django then
# refuses ORM calls from that thread unless told the tests know what they do.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium, started once for the session."""
    if not CHROMIUM.exists():
        message = f"Chromium not installed: apt-get install chromium (looked for {CHROMIUM})"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh browser tab (own cookies) whose relative URLs go to the live server."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def page_without_javascript(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A tab with JavaScript switched off: every page must work without it."""
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


@pytest.fixture(autouse=True)
def _two_factor_only_where_tested(request: pytest.FixtureRequest, settings: Any) -> None:
    """Two-factor sign-in is enforced only in tests marked ``two_factor`` and browser tests.

    The many view tests sign in with ``client.force_login``, which gives no second factor;
    they test what each page shows, and signing in is tested on its own
    (accounts/tests/test_two_factor.py) and by every browser test, with enforcement on.
    """
    if request.node.get_closest_marker("two_factor") or request.node.get_closest_marker("browser"):
        settings.THINKFAMILY_REQUIRE_TWO_FACTOR = True
    else:
        settings.THINKFAMILY_REQUIRE_TWO_FACTOR = False


@pytest.fixture(autouse=True)
def _no_linkage_model(settings: Any, tmp_path: Path) -> None:
    """Each test starts with no trained linkage model (identifiers only) unless it loads one."""
    settings.LINKAGE_MODEL_PATH = tmp_path / "linkage-model.json"
