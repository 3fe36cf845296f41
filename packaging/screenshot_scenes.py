"""The scenes packaging/screenshots.py renders: the real widgets, driven as a user would.

Imported only after a display exists. Each scene waits until the window has
finished what it was doing (background tasks, the model load), then grabs it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from nexthub.gui.app import create_application
from nexthub.gui.main_window import MainWindow
from nexthub.gui.startup import Startup
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import apply_theme
from nexthub.gui.unlock_dialogs import UnlockDialog
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store.errors import DatabaseBusyError

Chats = list[tuple[str, bool, list[str]]]


def wait(condition: Callable[[], bool], seconds: float = 120) -> None:
    """Run the event loop until ``condition`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the screen did not get ready in time")
        QCoreApplication.processEvents()
        time.sleep(0.01)


def _spin(seconds: float) -> None:
    """Let paint events and queued updates run for a while."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QCoreApplication.processEvents()
        time.sleep(0.01)


def save(widget: QWidget, path: Path) -> None:
    _spin(0.4)
    widget.grab().save(str(path))
    print(f"  {path.name}: {widget.width()}x{widget.height()}")


def fill(hub: Hub, chats: Chats) -> dict[str, str]:
    """Save the made-up chats; their ids by title."""
    ids = {}
    for title, pinned, texts in reversed(chats):
        conversation = hub.store.create_conversation(title)
        parent = None
        for index, text in enumerate(texts):
            role = "user" if index % 2 == 0 else "assistant"
            model = None if role == "user" else "SmolLM2-135M-Instruct.Q4_1"
            parent = hub.store.add_message(
                conversation.id, role, text, parent_id=parent, model=model
            ).id
        if pinned:
            hub.conversations.set_pinned(conversation.id, True)
        ids[title] = conversation.id
    return ids


def render_all(out: Path, home: Path, passphrase: str, size: tuple[int, int], chats: Chats) -> None:
    """Every scene, in the order a new user meets them."""
    app: QApplication = create_application()
    apply_theme(app, "light")
    paths = AppPaths.from_environment()
    tasks = TaskRunner()
    hub = _first_run(out, paths, tasks, passphrase)
    try:
        _main_window(out, app=app, hub=hub, tasks=tasks, size=size, ids=fill(hub, chats))
    finally:
        wait(lambda: tasks.pending() == 0)
        hub.close()
    _unlock(out, paths, tasks, passphrase)
    tasks.shutdown()
    del home


def _first_run(out: Path, paths: AppPaths, tasks: TaskRunner, passphrase: str) -> Hub:
    startup = Startup(paths, tasks)
    opened: list[Hub] = []
    startup.ready.connect(opened.append)
    startup.begin()
    wait(lambda: isinstance(startup.dialog, WelcomeDialog))
    welcome = startup.dialog
    assert isinstance(welcome, WelcomeDialog)
    save(welcome, out / "welcome.png")
    welcome.passphrase.setText(passphrase)
    welcome.again.setText(passphrase)
    welcome.start_button.click()
    wait(lambda: bool(opened))
    return opened[0]


def _main_window(
    out: Path,
    *,
    app: QApplication,
    hub: Hub,
    tasks: TaskRunner,
    size: tuple[int, int],
    ids: dict[str, str],
) -> None:
    window = MainWindow(hub, tasks)
    window.resize(*size)
    window.show()
    loaded: list[str] = []
    window.loader.loaded.connect(loaded.append)
    window.start()
    wait(lambda: bool(loaded) and tasks.pending() == 0)
    window.show_conversation(ids["Weekend in Lisbon"])
    wait(lambda: tasks.pending() == 0)
    save(window, out / "main-light.png")

    apply_theme(app, "dark")
    _spin(0.3)
    save(window, out / "main-dark.png")
    apply_theme(app, "light")

    window.sidebar.search_box.setText("recursion")
    wait(lambda: window.sidebar.results.count() > 0 and tasks.pending() == 0)
    save(window, out / "search.png")
    window.sidebar.search_box.clear()

    window.show_problem(str(DatabaseBusyError(hub.store.path)))
    save(window, out / "problem.png")
    window.banner.dismiss()
    window.close()
    wait(lambda: tasks.pending() == 0)


def _unlock(out: Path, paths: AppPaths, tasks: TaskRunner, passphrase: str) -> None:
    startup = Startup(paths, tasks)
    startup.begin()
    wait(lambda: isinstance(startup.dialog, UnlockDialog))
    unlock = startup.dialog
    assert isinstance(unlock, UnlockDialog)
    unlock.passphrase.setText(passphrase[::-1])
    unlock.unlock_button.click()
    wait(unlock.error.isVisible)
    save(unlock, out / "unlock.png")
    dialog: QDialog = unlock
    dialog.hide()
