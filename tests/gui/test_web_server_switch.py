"""Settings > Web GUI: the desktop app serves the web GUI and the API from its own Hub.

Real widgets, a real uvicorn server on 127.0.0.1 (port 0 unless a test says
otherwise: any free port), real HTTP from the test. What is checked is what
a user sees and does: the address in Settings, a login link that opens the
web GUI in a browser (its cookie, then the page), the API still asking for
a key, and a port already taken said plainly.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import MainWindow
from nexthub.gui.settings_dialog import SettingsDialog
from nexthub.service.hub import Hub
from tests.gui.page_helpers import WAIT_MS

Idle = Callable[[], None]


@pytest.fixture
def window(open_window: Callable[..., MainWindow], hub: Hub, idle: Idle) -> MainWindow:
    """The window, started without a model (the web GUI needs none to serve its page)."""
    hub.change_settings(web_port=0)
    shown = open_window(load_model=False)
    idle()
    return shown


def save_web_gui(qtbot: QtBot, window: MainWindow, *, on: bool, port: str = "auto") -> None:
    """Open Settings, set the web GUI switch and port, save."""
    dialog = window.pages.open_settings()
    dialog.web.enabled.setChecked(on)
    dialog.web.port.setText(port)
    with qtbot.waitSignal(dialog.settings_saved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def refused(origin: str) -> bool:
    """Whether nothing listens at ``origin`` any more."""
    try:
        httpx.get(origin + "/", timeout=5)
    except httpx.ConnectError:
        return True
    return False


def test_turning_it_on_serves_the_web_gui_and_a_copied_link_logs_a_browser_in(
    qtbot: QtBot, window: MainWindow, idle: Idle
) -> None:
    save_web_gui(qtbot, window, on=True)
    qtbot.waitUntil(lambda: window.web_server.running, timeout=WAIT_MS)
    origin = window.web_server.origin
    assert origin.startswith("http://127.0.0.1:")

    dialog: SettingsDialog = window.pages.open_settings()
    assert dialog.web.status.text().startswith(f"Running at {origin}/")
    assert dialog.web.copy_link_button.isEnabled()
    qtbot.mouseClick(dialog.web.copy_link_button, Qt.MouseButton.LeftButton)
    link = QApplication.clipboard().text()
    assert link.startswith(f"{origin}/login?token=")
    assert "one browser" in dialog.notice.text()

    with httpx.Client(base_url=origin, timeout=30) as browser:
        assert browser.get("/").status_code == 401  # not logged in
        login = browser.get(link.removeprefix(origin))
        assert login.status_code == 303 and "nexthub_session" in browser.cookies
        page = browser.get("/")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assert browser.get(link.removeprefix(origin)).status_code == 403  # each link works once
        assert browser.get("/v1/models").status_code == 401  # the API still wants a key
    dialog.reject()

    save_web_gui(qtbot, window, on=False)
    qtbot.waitUntil(lambda: not window.web_server.running, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: refused(origin), timeout=WAIT_MS)
    dialog = window.pages.open_settings()
    assert dialog.web.status.text() == "Off: nothing listens on the network."
    assert not dialog.web.copy_link_button.isEnabled()
    dialog.reject()


def test_a_port_already_taken_is_said_and_another_port_works(
    qtbot: QtBot, window: MainWindow
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        save_web_gui(qtbot, window, on=True, port=str(port))
        qtbot.waitUntil(lambda: bool(window.web_server.problem), timeout=WAIT_MS)
        assert not window.web_server.running
        dialog = window.pages.open_settings()
        status = dialog.web.status.text()
        assert f"Cannot listen on 127.0.0.1 port {port}" in status
        assert "Choose another port in Settings" in status
        dialog.reject()

    save_web_gui(qtbot, window, on=True, port="auto")
    qtbot.waitUntil(lambda: window.web_server.running, timeout=WAIT_MS)
    assert window.web_server.problem == ""


def test_closing_the_window_stops_the_server(qtbot: QtBot, window: MainWindow) -> None:
    save_web_gui(qtbot, window, on=True)
    qtbot.waitUntil(lambda: window.web_server.running, timeout=WAIT_MS)
    origin = window.web_server.origin
    window.close()
    assert refused(origin)
