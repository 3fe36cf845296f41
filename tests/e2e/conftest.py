"""One real `nexthub serve` for the web GUI's tests, and real Chromium from Debian to drive it.

The server is started as in tests/integration/web/conftest.py (its own
NEXTHUB_HOME with a passphrase store, the starter model, port 0), with two
differences: every line it prints is read, because each login link works once
and the server prints a fresh one after each use; and before it starts, one
conversation is imported with `nexthub data import`, whose answer carries an
HTML and script attack. The starter model will not write such an answer on
request, so the test puts it in the store the way a user's own import would.

Chromium is Debian's (`apt-get install chromium`), driven by Playwright's
Python package; Playwright's own browser download is not used.
"""

from __future__ import annotations

import queue
import re
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from nexthub.store.portable import ConversationDump, to_json
from nexthub.store.records import Conversation, Message
from tests.integration.web.conftest import (
    STARTUP_TIMEOUT_S,
    nexthub,
    prepare_home,
    start_serve,
    stop_serve,
)

CHROMIUM = Path("/usr/bin/chromium")
#: Two shared cores: the model's first words can take a while.
WAIT_MS = 60_000
LINK = re.compile(r"(http://127\.0\.0\.1:\d+)/login\?token=(\S+)")
#: The imported conversation with a hostile answer (see the module docstring).
CRAFTED_ID = "c0ffee00-0000-4000-8000-000000000001"
CRAFTED_TITLE = "Crafted answer about zanzibarquokka"
CRAFTED_ANSWER = (
    "Here it is: <img src=x onerror=\"window.__attacked = 'img'\">\n\n"
    "<script>window.__attacked = 'script'</script>\n\n"
    "[a link](javascript:window.__attacked='link') and "
    "![a picture](http://tracker.invalid/pixel.png)\n\n"
    '<a href="javascript:window.__attacked=1">raw link</a> **bold**'
)


@dataclass
class GuiServer:
    """The running server and the login links it printed."""

    origin: str  # http://127.0.0.1:PORT
    home: Path
    log: Path
    links: queue.Queue[str]

    def login_link(self) -> str:
        """The newest unused one-time login link (the server prints one after each use)."""
        return self.links.get(timeout=30)

    def token_of(self, link: str) -> str:
        """The token in a login link."""
        found = LINK.search(link)
        assert found
        return found.group(2)

    def client(self, cookie: str | None = None, **headers: str) -> httpx.Client:
        """A raw HTTP client, with the session cookie when given."""
        cookies = {"nexthub_session": cookie} if cookie else None
        return httpx.Client(base_url=self.origin, headers=headers, cookies=cookies, timeout=120)

    def session_cookie(self) -> str:
        """Log in with the next link over raw HTTP; the session cookie's value."""
        with self.client() as client:
            response = client.get(self.login_link(), follow_redirects=False)
        assert response.status_code == 303, response.text
        return str(response.cookies["nexthub_session"])


def _crafted_export(path: Path) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    prompt_id, answer_id = (
        "c0ffee00-0000-4000-8000-000000000002",
        "c0ffee00-0000-4000-8000-000000000003",
    )
    conversation = Conversation(
        CRAFTED_ID, CRAFTED_TITLE, moment, moment, "crafted", "", active_leaf_id=answer_id
    )
    messages = (
        Message(prompt_id, CRAFTED_ID, None, "user", "Show me some <b>HTML</b>", moment),
        Message(
            answer_id,
            CRAFTED_ID,
            prompt_id,
            "assistant",
            CRAFTED_ANSWER,
            moment,
            model="crafted",
            finish_reason="stop",
        ),
    )
    path.write_bytes(to_json([ConversationDump(conversation, messages)]))


def _read_lines(process: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        lines.put(line)


@pytest.fixture(scope="session")
def gui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GuiServer]:
    """The running server (see the module docstring)."""
    home = tmp_path_factory.mktemp("web-gui-home")
    prepare_home(home)
    export = home / "crafted.json"
    _crafted_export(export)
    imported = nexthub(home, "data", "import", str(export))
    assert imported.returncode == 0, imported.stderr
    log = home / "server.log"
    process = start_serve(home, log)
    printed: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(process, printed), daemon=True).start()
    links: queue.Queue[str] = queue.Queue()

    def sort_lines() -> None:
        while True:
            line = printed.get()
            found = LINK.search(line)
            if found:
                links.put(found.group(0))

    try:
        first = printed.get(timeout=STARTUP_TIMEOUT_S)
        assert first.startswith("NextHub API at http://127.0.0.1:"), (first, log.read_text())
        origin = first.split()[3].removesuffix("/v1")
        threading.Thread(target=sort_lines, daemon=True).start()
        yield GuiServer(origin, home, log, links)
    finally:
        stop_serve(process)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright."""
    assert CHROMIUM.is_file(), (
        "the web GUI's tests need Debian's chromium: apt-get install chromium"
    )
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A fresh browser profile (no cookies) for one test."""
    context = browser.new_context(viewport={"width": 1200, "height": 800})
    context.set_default_timeout(WAIT_MS)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext, gui_server: GuiServer) -> Page:
    """A page logged in with a fresh login link, on a new chat."""
    page = context.new_page()
    page.goto(gui_server.login_link())
    page.wait_for_selector("#model option", state="attached")
    return page
