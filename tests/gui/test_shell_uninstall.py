"""File > Uninstall NextHub…: it says what goes, Cancel changes nothing, confirming wipes.

Everything runs for real on this test's NEXTHUB_HOME: the encrypted store, the
wipe plan, the wipe, and the install-kind detection. The tests run from the
editable development install, whose uninstall removes no program: it says
what is left to do. Running any remover is refused, so a mistake here could
never uninstall the developer's NextHub.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import MainWindow
from nexthub.gui.tasks import TaskRunner
from nexthub.installation import InstallKind, detect
from nexthub.service.hub import Hub
from tests.gui.page_helpers import WAIT_MS, MessageBoxes, shown
from tests.gui.shell_helpers import add_chat

Idle = Callable[[], None]
MARKER = "Okapi5521 eats leaves"


@pytest.fixture(autouse=True)
def no_remover_runs(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """A remover started from these tests fails the test instead of running."""
    started: list[Any] = []

    def refuse(*args: Any, **_kwargs: Any) -> None:
        started.append(args)
        raise AssertionError(f"a remover was started: {args}")

    monkeypatch.setattr(subprocess, "run", refuse)
    monkeypatch.setattr(subprocess, "Popen", refuse)
    yield started
    assert started == []


@pytest.fixture
def window(qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle) -> Iterator[MainWindow]:
    """The main window over a store with one conversation (no model is loaded)."""
    add_chat(hub, "Animals", MARKER, "Noted.")
    main = shown(qtbot, MainWindow(hub, tasks), idle)
    main.start(load_model=False)
    idle()
    yield main
    main.loader.cancel()
    idle()


def test_the_file_menu_offers_uninstall_on_every_platform(window: MainWindow) -> None:
    action = window.uninstall_action
    file_menu = window.menuBar().actions()[0].menu()
    assert action in file_menu.actions()
    assert action.text() == "&Uninstall NextHub…"
    # On macOS Qt moves it to the application menu, beside Preferences and Quit.
    assert action.menuRole() == QAction.MenuRole.ApplicationSpecificRole


def test_the_dialog_names_what_goes_and_cancel_changes_nothing(
    qtbot: QtBot, window: MainWindow, hub: Hub, idle: Idle
) -> None:
    database = hub.paths.chats_db_file
    before = sorted(p for folder in hub.paths.owned_folders() for p in folder.rglob("*"))
    dialogs = MessageBoxes()

    dialogs.answer("Cancel")
    with qtbot.assertNotEmitted(window.uninstaller.uninstalled):
        window.uninstall_action.trigger()
        idle()

    said = dialogs.seen[0]
    assert said.startswith("This deletes, for good:")
    assert "chat database (" in said and str(database) in said
    assert str(hub.paths.data / "database-key.json") in said
    assert str(hub.paths.config) in said  # the settings go too
    assert "NextHub was installed with an editable development install" in said
    assert "downloaded models" in said and "NextHub quits when it is done." in said
    after = sorted(p for folder in hub.paths.owned_folders() for p in folder.rglob("*"))
    assert after == before
    assert [c.title for c in hub.store.list_conversations()] == ["Animals"]  # still open


def test_confirming_wipes_every_folder_and_says_what_is_left_for_a_dev_install(
    qtbot: QtBot, window: MainWindow, hub: Hub, idle: Idle
) -> None:
    assert detect().kind is InstallKind.EDITABLE, "these tests run from the editable install"
    home = hub.paths.home
    assert home is not None and home.exists()
    dialogs = MessageBoxes()

    dialogs.answer("Uninstall")
    window.uninstall_action.trigger()
    qtbot.waitUntil(lambda: len(dialogs.seen) == 1, timeout=WAIT_MS)
    dialogs.answer("OK")
    with qtbot.waitSignal(window.uninstaller.uninstalled, timeout=WAIT_MS):
        idle()

    assert [p for p in hub.paths.owned_folders() if p.exists()] == []
    assert not home.exists()  # NEXTHUB_HOME held nothing else
    done = dialogs.seen[1]
    assert done.startswith("Deleted every chat and its key")
    assert "This is a development install: remove it with" in done
    assert "pip uninstall nexthub" in done
