"""A full disk: the banner says so, nothing saved is lost, and the window goes on working.

The data lives on a real 2 MiB tmpfs, mounted for the test (root only: skipped,
with the reason, where mounting is not allowed), filled up while the window is
open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import MainWindow
from nexthub.gui.tasks import TaskRunner
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store import ChatStore
from tests.gui.shell_helpers import WAIT_MS, add_chat, make_passphrase_store, rows, select
from tests.small_disk import fill_up, small_disk_under


@pytest.fixture
def small_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """NEXTHUB_HOME on a 2 MiB tmpfs."""
    with small_disk_under(tmp_path) as disk:
        monkeypatch.setenv("NEXTHUB_HOME", str(disk.where))
        yield disk.where


def test_a_full_disk_is_shown_and_the_rename_works_once_there_is_room(
    small_home: Path, tasks: TaskRunner, qtbot: QtBot
) -> None:
    paths = AppPaths.from_environment()
    key = make_passphrase_store(paths)
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, key))
    try:
        add_chat(hub, "Kept", "saved before the disk filled")
        window = MainWindow(hub, tasks)
        qtbot.addWidget(window)
        window.show()
        window.start(load_model=False)
        qtbot.waitUntil(lambda: rows(window.sidebar.list) == ["Kept"], timeout=WAIT_MS)

        filler = fill_up(small_home)
        long_title = "A title far too long for a full disk " * 2000
        select(window, "Kept")
        window.sidebar.rename_action.trigger()
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit)
        editor.setText(long_title)
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
        assert "is full" in window.banner.message()
        assert "Everything saved before is intact" in window.banner.message()
        qtbot.waitUntil(lambda: rows(window.sidebar.list) == ["Kept"], timeout=WAIT_MS)

        filler.unlink()
        window.banner.dismiss()
        select(window, "Kept")
        window.sidebar.rename_action.trigger()
        editor = QApplication.focusWidget()
        assert isinstance(editor, QLineEdit)
        editor.setText("Renamed with room to spare")
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: rows(window.sidebar.list) == ["Renamed with room to spare"], timeout=WAIT_MS
        )
        assert window.banner.message() == ""
        assert hub.store.current_branch(hub.conversations.page()[0].id)[0].content == (
            "saved before the disk filled"
        )
    finally:
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)
        hub.close()
