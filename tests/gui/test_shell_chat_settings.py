"""Chat > Chat settings…: a chat's system prompt and sampling, with presets, saved with it.

Real widgets over the real encrypted store; the saved conversation is read
back from the store, as the next session would see it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import MainWindow
from nexthub.service.hub import Hub
from tests.gui.page_helpers import WAIT_MS
from tests.gui.shell_helpers import add_chat

Idle = Callable[[], None]


@pytest.fixture
def window(open_window: Callable[..., MainWindow], hub: Hub, idle: Idle) -> MainWindow:
    """The window showing a saved chat, without a model loaded."""
    conversation_id, _ = add_chat(hub, "Pirates", "Hello?", "Ahoy.")
    shown = open_window(load_model=False)
    idle()
    shown.show_conversation(conversation_id)
    idle()
    return shown


def test_a_preset_and_a_system_prompt_are_saved_with_the_chat(
    qtbot: QtBot, window: MainWindow, hub: Hub, idle: Idle
) -> None:
    dialog = window.open_chat_settings()
    idle()
    assert dialog.preset.currentText() == "Balanced"  # the defaults
    assert [dialog.model.itemText(i) for i in range(dialog.model.count())] == [
        "(no model loaded)",
        "SmolLM2 135M Instruct",
    ]
    assert dialog.model.currentIndex() == 0  # saving loads nothing unless a model is chosen
    dialog.preset.textActivated.emit("Precise")
    assert (dialog.temperature.text(), dialog.top_p.text()) == ("0.2", "0.9")
    dialog.system_prompt.setPlainText("Answer like a pirate.")
    dialog.max_tokens.setText("50")
    with qtbot.waitSignal(dialog.saved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not window.loader.is_loading()

    conversation_id = window.shown_conversation() or ""
    saved = hub.store.get_conversation(conversation_id)
    assert saved.system_prompt == "Answer like a pirate."
    assert (saved.sampling["temperature"], saved.sampling["top_p"]) == (0.2, 0.9)
    assert saved.sampling["max_tokens"] == 50

    again = window.open_chat_settings()
    assert again.preset.currentText() == "Precise"
    assert again.system_prompt.toPlainText() == "Answer like a pirate."
    assert again.max_tokens.text() == "50"
    again.temperature.setText("0.55")
    again.temperature.textEdited.emit("0.55")
    assert again.preset.currentText() == "Custom"
    again.reject()


def test_a_bad_number_is_refused_with_a_reason_and_nothing_changes(
    qtbot: QtBot, window: MainWindow, hub: Hub, idle: Idle
) -> None:
    conversation_id = window.shown_conversation() or ""
    before = hub.store.get_conversation(conversation_id)
    dialog = window.open_chat_settings()
    dialog.temperature.setText("very hot")
    with qtbot.assertNotEmitted(dialog.saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        idle()
    assert dialog.isVisible()
    assert dialog.notice.text() == "Temperature must be a number from 0 to 2."
    assert hub.store.get_conversation(conversation_id) == before
    dialog.reject()


def test_the_menu_and_its_shortcut_open_it(window: MainWindow) -> None:
    action = window.chat_settings_action
    assert action.text() == "Chat s&ettings…"
    assert action.shortcut().toString() == "Ctrl+Shift+,"
