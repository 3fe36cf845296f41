"""Fixtures of the desktop app's tests: real widgets, a real encrypted store, the task runner.

Qt runs on the offscreen platform (tests/conftest.py). The store is the real
SQLCipher one in this test's NEXTHUB_HOME, its key protected by a passphrase
with a cheap KDF (a test-only cost: unlocking takes milliseconds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.gui.main_thread_gc import MainThreadCollector
from nexthub.gui.main_window import MainWindow
from nexthub.gui.startup import Startup
from nexthub.gui.tasks import TaskRunner
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store import ChatStore
from tests.gui.shell_helpers import WAIT_MS, make_passphrase_store


@pytest.fixture(autouse=True)
def collect_on_main_thread(qapp: object) -> Iterator[None]:
    """As in the app: cyclic garbage (widgets among it) is collected on the main thread only.

    Torn down after every other fixture of the test, so whatever the test
    left in reference cycles is collected here, on the main thread.
    """
    collector = MainThreadCollector()
    collector.start()
    yield
    collector.stop()


@pytest.fixture
def paths(nexthub_home: Path) -> AppPaths:
    return AppPaths.from_environment()


@pytest.fixture
def tasks(qtbot: QtBot) -> Iterator[TaskRunner]:
    runner = TaskRunner()
    yield runner
    qtbot.waitUntil(lambda: runner.pending() == 0, timeout=WAIT_MS)
    runner.shutdown()


@pytest.fixture
def settle(qtbot: QtBot, tasks: TaskRunner) -> Callable[[], None]:
    """Wait until every background task has run and its result reached the main thread."""

    def wait() -> None:
        qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)

    return wait


@pytest.fixture
def idle(settle: Callable[[], None]) -> Callable[[], None]:
    """Another name for :func:`settle`."""
    return settle


@pytest.fixture
def store_key(paths: AppPaths) -> bytes:
    return make_passphrase_store(paths)


@pytest.fixture
def hub(paths: AppPaths, store_key: bytes, tasks: TaskRunner, qtbot: QtBot) -> Iterator[Hub]:
    """An unlocked Hub on the real store (its engine starts on the first load)."""
    hub = Hub(paths, ChatStore.open(paths.chats_db_file, store_key))
    yield hub
    hub.engine.cancel()
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)
    hub.close()


@pytest.fixture
def startup(paths: AppPaths, tasks: TaskRunner, qtbot: QtBot) -> Iterator[Startup]:
    """The startup steps; any Hub they open is closed at the end."""
    steps = Startup(paths, tasks)
    opened: list[Hub] = []
    steps.ready.connect(opened.append)
    yield steps
    qtbot.waitUntil(lambda: tasks.pending() == 0, timeout=WAIT_MS)
    if steps.dialog is not None:
        steps.dialog.hide()
    for hub in opened:
        hub.close()


@pytest.fixture
def open_window(
    qtbot: QtBot, hub: Hub, tasks: TaskRunner, settle: Callable[[], None]
) -> Iterator[Callable[..., MainWindow]]:
    """Shows the window for a hub, active; ``load_model`` as MainWindow.start takes it.

    Afterwards whatever the windows started (a load, the web server, their
    other windows) is stopped.
    """
    windows: list[MainWindow] = []

    def show(on: Hub = hub, *, load_model: bool = True) -> MainWindow:
        window = MainWindow(on, tasks)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)
        windows.append(window)
        window.start(load_model=load_model)
        return window

    yield show
    for window in windows:
        window.loader.cancel()
        window.web_server.stop_now()
        window.pages.hide_all()
    settle()
