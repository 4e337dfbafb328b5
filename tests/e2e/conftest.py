"""Browser tests: a live server with CSRF on, one Chromium per session, a fresh context per test, and an axe-core
check on every page a test looks at.

Tests drive pages through :class:`CheckedPage` (the ``browse`` fixture): ``visit(path)`` and ``follow(locator)`` load
a page and check it at once; after anything else that changes the page, call ``check()``. A page that was loaded but
never checked fails the test at teardown, so a forgotten check cannot pass silently.

Without Chromium the folder is skipped, unless ``PLATFORMCOOP_REQUIRE_BROWSER=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from platformcoop.extensions import db, limiter
from tests import sample_plugin
from tests.conftest import Outbox, empty_tables, is_postgres, make_app, reset_schema

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BLOCKING_IMPACTS = {"serious", "critical"}


def _browser_unavailable(reason: str):
    if os.environ.get("PLATFORMCOOP_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason} (PLATFORMCOOP_REQUIRE_BROWSER=1 makes this an error)", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


# -- the live server ---------------------------------------------------------------------------------------------


class LiveServer:
    def __init__(self, app: Flask, url: str):
        self.app = app
        self.url = url
        self.outbox = Outbox(Path(app.config["MAIL_OUTBOX_DIR"]))


@pytest.fixture(scope="session")
def live_server(app, tmp_path_factory) -> Iterator[LiveServer]:
    """The app served on a free port of 127.0.0.1, with CSRF on as for a real user.

    It depends on the session ``app`` so that on PostgreSQL the schema is already built in the shared database;
    on SQLite this app has its own file, built here.
    """
    instance = tmp_path_factory.mktemp("live-instance")
    served: dict[str, Flask] = {}
    # Bind first (port 0: the system picks a free one), so BASE_URL can name the real port without a race.
    server = make_server("127.0.0.1", 0, lambda environ, start: served["app"](environ, start), threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    live_app = make_app(instance, WTF_CSRF_ENABLED=True, SERVER_NAME=None, BASE_URL=url)
    if not is_postgres():
        reset_schema(live_app)
    served["app"] = live_app
    thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
    thread.start()
    yield LiveServer(live_app, url)
    server.shutdown()
    thread.join(timeout=10)
    with live_app.app_context():
        db.engine.dispose()


@pytest.fixture
def live(live_server) -> Iterator[LiveServer]:
    """The live server, with empty tables, an empty outbox and fresh rate-limit counters for this test."""
    outbox = live_server.outbox.folder
    if outbox.exists():
        for path in outbox.iterdir():
            path.unlink()
    sample_plugin.calls.clear()
    with live_server.app.app_context():
        limiter.reset()
    yield live_server
    empty_tables(live_server.app)


# -- the browser -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        _browser_unavailable("Chromium was not found on PATH")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception as error:
        playwright.stop()
        _browser_unavailable(f"Chromium did not start: {error}")
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.e2e_call_failed = report.failed
    return report


@pytest.fixture
def new_page(request, browser, live):
    """A factory of pages, each in its own browser context (its own cookies: one person each)."""
    contexts = []
    pages: list[CheckedPage] = []

    def open_page(**context_options) -> CheckedPage:
        context_options.setdefault("locale", "fr-FR")
        context = browser.new_context(base_url=live.url, **context_options)
        context.set_default_timeout(10_000)
        context.route("**/*", _local_only)
        contexts.append(context)
        page = CheckedPage(context.new_page(), live.url)
        pages.append(page)
        return page

    yield open_page
    try:
        if not getattr(request.node, "e2e_call_failed", False):  # a failed test has said enough
            for page in pages:
                page.assert_all_checked()
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def browse(new_page) -> CheckedPage:
    """One person's browser tab, on a desktop-sized window."""
    return new_page()


def _local_only(route) -> None:
    """Nothing leaves 127.0.0.1."""
    if urlsplit(route.request.url).hostname == "127.0.0.1":
        route.continue_()
    else:
        route.abort()


# -- pages checked by axe-core -----------------------------------------------------------------------------------


class CheckedPage:
    """A Playwright page whose every loaded document must pass axe-core (no serious or critical violation).

    Server errors (5xx), JavaScript errors and Content-Security-Policy violations fail the check too.
    """

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self._axe = Axe()
        self._unchecked: list[str] = []
        self._problems: list[str] = []
        page.on("framenavigated", self._on_navigation)
        page.on("response", self._on_response)
        page.on("pageerror", lambda error: self._problems.append(f"JavaScript error: {error}"))
        page.on("console", self._on_console)

    # navigation ------------------------------------------------------------------------------------------------

    def visit(self, path: str):
        """Open ``path`` (relative to the live server) and check the page."""
        response = self.page.goto(path)
        self.check()
        return response

    def follow(self, locator):
        """Click a link or submit button that loads a new page, wait for it, and check it."""
        with self.page.expect_navigation():
            locator.click()
        self.check()

    def check(self) -> None:
        """Run axe-core on the current page; fail on serious or critical violations."""
        self.page.wait_for_load_state("load")
        problems, self._problems = self._problems, []
        if problems:
            raise AssertionError(f"{self.page.url}:\n" + "\n".join(problems))
        results = self._axe.run(self.page)
        self._unchecked.clear()
        blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]
        if blocking:
            raise AssertionError(accessibility_report(self.page.url, blocking))

    def assert_all_checked(self) -> None:
        if self._unchecked:
            raise AssertionError(
                "These pages were loaded but never checked for accessibility (use visit(), follow() or check()): "
                + ", ".join(self._unchecked)
            )

    # listeners -------------------------------------------------------------------------------------------------

    def _on_navigation(self, frame) -> None:
        if frame == self.page.main_frame:
            self._unchecked.append(frame.url)

    def _on_response(self, response) -> None:
        if response.status >= 500:
            self._problems.append(f"server error {response.status} on {response.url}")

    def _on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self._problems.append(f"CSP violation: {message.text}")

    # shortcuts to the Playwright page ----------------------------------------------------------------------------

    def __getattr__(self, name: str):
        return getattr(self.page, name)


def accessibility_report(url: str, violations: list[dict]) -> str:
    lines = [f"{len(violations)} serious or critical accessibility violation(s) on {url}:"]
    for violation in violations:
        lines.append(f"- [{violation['impact']}] {violation['id']}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])  # a list only for frames and shadow DOM
            lines.append(f"    at {target}: {node.get('html', '')[:200]}")
            lines.append(f"       {' '.join(node.get('failureSummary', '').split())}")
    return "\n".join(lines)
