"""Part of a message's text is selected and copied: "Select text" or a double-click opens it.

The real panel over a saved conversation in the real encrypted store. The
selection is made the way a user makes it (the keyboard, a mouse drag) in
the window that opens, and the clipboard must hold exactly that part.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.gui.chat.text_selection import MessageTextDialog
from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import WAIT_MS, activate_row, wait_until_idle

ANSWER = "Rivers **carry** water to the sea, and `sed -n 1,5p` prints five lines."
#: What the message shows (the markdown rendered): what a selection is taken from.
SHOWN = "Rivers carry water to the sea, and sed -n 1,5p prints five lines."


def open_answer(qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]) -> ChatPanel:
    conversation = hub.store.create_conversation("Rivers")
    question = hub.store.add_message(conversation.id, "user", "Tell me.", parent_id=None)
    hub.store.add_message(conversation.id, "assistant", ANSWER, parent_id=question.id)
    panel = open_panel(hub)
    panel.show_conversation(conversation.id)
    wait_until_idle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.message_list.documents_pending() == 0, timeout=WAIT_MS)
    return panel


def opened_dialog(qtbot: QtBot, panel: ChatPanel) -> MessageTextDialog:
    dialog = panel.commands.text_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and dialog.windowTitle() == "Select text: Assistant"
    assert dialog.text.toPlainText() == SHOWN
    assert dialog.text.isReadOnly()
    return dialog


def test_select_text_then_keyboard_selection_copies_exactly_that_part(
    qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    panel = open_answer(qtbot, hub, open_panel)
    activate_row(qtbot, panel, 1)
    qtbot.mouseClick(panel.actions_bar.select_button, Qt.MouseButton.LeftButton)
    dialog = opened_dialog(qtbot, panel)
    clipboard = QApplication.clipboard()
    clipboard.setText("before")

    box = dialog.text
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    start = SHOWN.index("carry")
    for _ in range(start):
        qtbot.keyClick(box, Qt.Key.Key_Right)
    for _ in range(len("carry water")):
        qtbot.keyClick(box, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClick(box, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "carry water"

    qtbot.keyClick(box, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)  # no selection
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == SHOWN  # Copy with nothing selected: the whole text
    assert hub.store.current_branch(panel.session.conversation_id or "")[1].content == ANSWER


def test_a_double_click_opens_it_and_a_mouse_drag_selects_part_of_it(
    qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    panel = open_answer(qtbot, hub, open_panel)
    view = panel.message_list
    rect = view.visualRect(panel.model.row_index(1))
    point = QPoint(rect.left() + 20, rect.top() + 40)  # on the text, clear of the action bar
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)  # a double-click:
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point)  # press, then again
    dialog = opened_dialog(qtbot, panel)

    box = dialog.text
    cursor = box.textCursor()
    first = SHOWN.index("sed")
    cursor.setPosition(first)
    start = box.cursorRect(cursor).center()
    cursor.setPosition(first + len("sed -n 1,5p"))
    end = box.cursorRect(cursor).center()
    area = box.viewport()
    qtbot.mousePress(area, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(area, QPoint((start.x() + end.x()) // 2, end.y()))
    qtbot.mouseMove(area, end)
    qtbot.mouseRelease(area, Qt.MouseButton.LeftButton, pos=end)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == "sed -n 1,5p"
