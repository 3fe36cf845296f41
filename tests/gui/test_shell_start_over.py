"""Delete all my data from the window: back to first run; a wipe that fails: unlock again;
Uninstall NextHub…: everything deleted, then the app quits.

The whole app runs (:class:`DesktopApp`: the startup steps, the window, the
Privacy page) on the real encrypted store of this test's NEXTHUB_HOME, with
a passphrase-protected key, and the starter model loading in the background
as at every launch. "Another program has the database open" is a real
second process holding it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import TypeVar

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QGroupBox
from pytestqt.qtbot import QtBot

from nexthub.gui.app import DesktopApp
from nexthub.gui.main_window import MainWindow
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.unlock_dialogs import UnlockDialog
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.settings import read_settings
from nexthub.store import ChatStore
from nexthub.store.keys import KeyProtection, KeyStore
from tests.gui.page_helpers import MessageBoxes
from tests.gui.shell_helpers import PASSPHRASE, WAIT_MS, make_passphrase_store, rows

Settle = Callable[[], None]
D = TypeVar("D", bound=QDialog)
STARTER = "SmolLM2 135M Instruct"
NEW_PASSPHRASE = "a brand new start, 2 of them"
#: Holds the chat database open in another process until a line arrives on stdin.
HOLD_OPEN = """
import sys
from nexthub.paths import AppPaths
from nexthub.store import ChatStore
from nexthub.store.keys import KeyStore
paths = AppPaths.from_environment()
with ChatStore.open(paths.chats_db_file, KeyStore(paths).unlock()) as store:
    print(len(store.list_conversations()), flush=True)
    sys.stdin.readline()
"""


@pytest.fixture
def desktop(
    qapp: QApplication, paths: AppPaths, tasks: TaskRunner, qtbot: QtBot
) -> Iterator[DesktopApp]:
    """The app over a store with one saved chat (not started yet)."""
    key = make_passphrase_store(paths)
    with ChatStore.open(paths.chats_db_file, key) as store:
        chat = store.create_conversation("Fish facts")
        store.add_message(chat.id, "user", "Do fish sleep?", parent_id=None)
    app = DesktopApp(qapp, paths, tasks)
    yield app
    window = app.window
    if window is not None:
        window.closed.disconnect()
        window.loader.cancel()
        window.pages.hide_all()
        window.hide()
    if app.startup.dialog is not None:
        app.startup.dialog.hide()
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)
    app.shutdown()


def dialog_of(app: DesktopApp, kind: type[D], qtbot: QtBot) -> D:
    """Wait for the startup steps to show a dialog of ``kind``; return it."""
    qtbot.waitUntil(lambda: isinstance(app.startup.dialog, kind), timeout=WAIT_MS)
    dialog = app.startup.dialog
    assert isinstance(dialog, kind)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def unlock(app: DesktopApp, qtbot: QtBot, passphrase: str = PASSPHRASE) -> MainWindow:
    """Type the passphrase in the unlock dialog; return the window that opens."""
    dialog = dialog_of(app, UnlockDialog, qtbot)
    previous = app.window
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.mouseClick(dialog.unlock_button, Qt.MouseButton.LeftButton)
    return window_of(app, qtbot, previous)


def window_of(app: DesktopApp, qtbot: QtBot, previous: MainWindow | None) -> MainWindow:
    qtbot.waitUntil(lambda: app.window not in (None, previous), timeout=WAIT_MS)
    window = app.window
    assert window is not None
    qtbot.waitUntil(window.isVisible, timeout=WAIT_MS)
    return window


def delete_all_data(window: MainWindow, qtbot: QtBot) -> MessageBoxes:
    """File > Privacy and data…, then "Delete all my data…" and "Delete everything"."""
    window.privacy_action.trigger()
    page = window.pages.privacy
    assert page is not None and page.isVisible()
    boxes = MessageBoxes()
    boxes.answer("Delete everything")
    qtbot.mouseClick(page.wipe_button, Qt.MouseButton.LeftButton)
    return boxes


@pytest.mark.model
def test_delete_all_my_data_returns_to_the_welcome_and_a_new_passphrase_starts_afresh(
    desktop: DesktopApp, paths: AppPaths, qtbot: QtBot, settle: Settle
) -> None:
    desktop.start()
    window = unlock(desktop, qtbot)
    qtbot.waitUntil(lambda: rows(window.sidebar.list) != [], timeout=WAIT_MS)
    assert "Fish facts" in rows(window.sidebar.list)
    qtbot.waitUntil(lambda: window.model_status.text() == f"Model: {STARTER}", timeout=WAIT_MS)

    boxes = delete_all_data(window, qtbot)
    welcome = dialog_of(desktop, WelcomeDialog, qtbot)

    assert "chat database" in boxes.seen[0]
    assert not window.isVisible()
    assert desktop.window is None and desktop.hub is None
    assert "Protect your chats" in [box.title() for box in welcome.findChildren(QGroupBox)]
    assert not paths.chats_db_file.exists()
    assert not KeyStore(paths).exists()
    assert read_settings(paths.settings_file).welcomed is False
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT_MS)  # let go of

    qtbot.keyClicks(welcome.passphrase, NEW_PASSPHRASE)
    qtbot.keyClicks(welcome.again, NEW_PASSPHRASE)
    qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton)
    fresh = window_of(desktop, qtbot, None)
    settle()

    assert "Fish facts" not in rows(fresh.sidebar.list)
    assert fresh.banner.message() == ""
    assert KeyStore(paths).protection() is KeyProtection.PASSPHRASE
    assert KeyStore(paths).unlock(passphrase=NEW_PASSPHRASE)
    assert read_settings(paths.settings_file).welcomed
    qtbot.waitUntil(lambda: fresh.model_status.text() == f"Model: {STARTER}", timeout=WAIT_MS)


def test_a_wipe_that_fails_keeps_the_chats_and_unlocks_them_again(
    desktop: DesktopApp, paths: AppPaths, qtbot: QtBot, settle: Settle
) -> None:
    desktop.start()
    window = unlock(desktop, qtbot)
    qtbot.waitUntil(lambda: "Fish facts" in rows(window.sidebar.list), timeout=WAIT_MS)
    settle()
    env = {**os.environ, "NEXTHUB_PASSPHRASE": PASSPHRASE}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_OPEN],
        env=env,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "1"
        delete_all_data(window, qtbot)
        unlock_dialog = dialog_of(desktop, UnlockDialog, qtbot)
        assert not window.isVisible()
        assert paths.chats_db_file.exists() and KeyStore(paths).exists()
    finally:
        assert holder.stdin is not None and holder.stdout is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=60)
        holder.stdout.close()

    assert unlock_dialog.isVisible()
    reopened = unlock(desktop, qtbot)
    qtbot.waitUntil(lambda: "Fish facts" in rows(reopened.sidebar.list), timeout=WAIT_MS)
    assert "open in another program" in reopened.banner.message()
    assert "Nothing was deleted" in reopened.banner.message()
    assert read_settings(paths.settings_file).welcomed
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=WAIT_MS)


@pytest.mark.model
def test_uninstall_nexthub_deletes_everything_then_the_app_quits(
    desktop: DesktopApp,
    paths: AppPaths,
    qapp: QApplication,
    qtbot: QtBot,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The editable development install: its uninstall removes no program, it says what is left.
    quits: list[bool] = []
    monkeypatch.setattr(qapp, "quit", lambda: quits.append(True))
    desktop.start()
    window = unlock(desktop, qtbot)
    # Loaded first: a load still starting when the hub closes can leave a new worker behind.
    qtbot.waitUntil(lambda: window.model_status.text() == f"Model: {STARTER}", timeout=WAIT_MS)
    boxes = MessageBoxes()

    boxes.answer("Uninstall")
    window.uninstall_action.trigger()
    qtbot.waitUntil(lambda: len(boxes.seen) == 1, timeout=WAIT_MS)
    boxes.answer("OK")
    qtbot.waitUntil(lambda: quits == [True], timeout=WAIT_MS)

    assert "This is a development install" in boxes.seen[1]
    assert desktop.hub is None  # closed by the wipe: shutdown must not close it again
    assert [folder for folder in paths.owned_folders() if folder.exists()] == []
