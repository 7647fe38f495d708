"""Browser tests: a real `gradcards serve` on 127.0.0.1, fresh database, Debian's Chromium.

Without a `chromium` on PATH these tests skip, unless GRADCARDS_REQUIRE_SERVICES=1 (CI): then
they fail. Screenshots of every page go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Error, Page

from tests.conftest import CONTENT_DIR, REPO, TEST_SECRET, require_or_skip
from tests.servers import running_server

ARTIFACTS = REPO / "test-artifacts"
STARTUP_SECONDS = 30
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str:
    """Debian's Chromium; skips (or fails in CI) when it is not installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        require_or_skip("chromium is not installed (apt-get install chromium)")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`gradcards serve` on a free port of 127.0.0.1, with its own data dir and SQLite database."""
    chromium_path()  # no browser, no point starting the server
    data = tmp_path_factory.mktemp("live-data")
    env = {
        "GRADCARDS_DATA_DIR": str(data),
        "GRADCARDS_DATABASE_URL": f"sqlite:///{data / 'gradcards.db'}",
        "GRADCARDS_CONTENT_DIR": str(CONTENT_DIR),
        "GRADCARDS_SECRET_KEY": TEST_SECRET,
        "GRADCARDS_PASSWORD_HASH_TIME_COST": "1",  # cheap hashing: tests only
        "GRADCARDS_PASSWORD_HASH_MEMORY_KIB": "8",
        "GRADCARDS_LOG_LEVEL": "warning",
    }
    with running_server(env, data / "server.log", timeout=STARTUP_SECONDS) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    return {**browser_type_launch_args, "executable_path": chromium_path(), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Relative URLs in page.goto() are on the live server (pytest-playwright reads this)."""
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Every page is 1280 px wide unless a test says otherwise."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


class ConsoleWatch:
    """Console errors and uncaught exceptions of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        return page

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.page.url if message.page else ''}: {message.text}")

    def _page_error(self, error: Error) -> None:
        self.errors.append(f"uncaught: {error.message}")


@pytest.fixture
def console() -> Iterator[ConsoleWatch]:
    """Fails the test if any page it watched logged an error."""
    watch = ConsoleWatch()
    yield watch
    assert watch.errors == [], "browser console errors:\n" + "\n".join(watch.errors)


@pytest.fixture
def app_page(page: Page, console: ConsoleWatch) -> Page:
    """pytest-playwright's page, with its console watched."""
    return console.watch(page)


def screenshot(page: Page, name: str) -> None:
    """Save the whole page as test-artifacts/<name>.png."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)
