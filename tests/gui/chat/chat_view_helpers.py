"""Helpers of the chat view's tests: driving the panel as a user would, reading what it shows."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.engine import SamplingSettings
from nexthub.gui.chat.markdown_html import CodeTheme, render_markdown
from nexthub.gui.chat.message_document import MessageDocument
from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from nexthub.store.records import Message

#: Milliseconds a test waits for an answer or a background task (a loaded 2-core machine).
WAIT_MS = 120_000
#: Short answers keep the tests quick; greedy ones are reproducible.
SHORT = SamplingSettings(temperature=0.0, max_tokens=24)
#: An answer that goes on until stopped.
ENDLESS = SamplingSettings(temperature=0.8, seed=3, max_tokens=1500, ignore_eos=True)


def type_and_send(qtbot: QtBot, panel: ChatPanel, text: str) -> None:
    """Type ``text`` into the message box (lines joined by Shift+Enter) and press Enter."""
    box = panel.composer.box
    box.setFocus()
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(box, line)
    assert box.toPlainText() == text
    qtbot.keyClick(box, Qt.Key.Key_Return)


def wait_until_idle(qtbot: QtBot, panel: ChatPanel) -> None:
    """Wait until the answer (if any) ended and the view shows what the store kept."""
    qtbot.waitUntil(lambda: not panel.busy, timeout=WAIT_MS)


def send_and_wait(qtbot: QtBot, panel: ChatPanel, text: str) -> None:
    """Send ``text`` and wait until its answer is shown as saved."""
    type_and_send(qtbot, panel, text)
    qtbot.waitUntil(lambda: panel.busy, timeout=WAIT_MS)
    wait_until_idle(qtbot, panel)


def saved_branch(hub: Hub, panel: ChatPanel) -> list[Message]:
    """The branch the panel shows, as the store has it."""
    conversation_id = panel.session.conversation_id
    assert conversation_id is not None
    return hub.store.current_branch(conversation_id)


def row_text(panel: ChatPanel, row: int) -> str:
    """The message text a row shows (its document's plain text)."""
    document = panel.model.message(row).document
    assert document is not None, f"row {row} was never laid out"
    return document.plain_text()


def rendered_text(content: str) -> str:
    """What a message with this markdown shows when rendered on its own (the reference)."""
    document = MessageDocument(QApplication.font(), 600)
    document.set_rendered(render_markdown(content, CodeTheme()))
    return document.plain_text()


def activate_row(qtbot: QtBot, panel: ChatPanel, row: int) -> None:
    """Click a message, which puts its action bar on it."""
    view = panel.message_list
    index = panel.model.row_index(row)
    view.scrollTo(index)
    qtbot.waitUntil(lambda: view.visualRect(index).intersects(view.viewport().rect()))
    rect = view.visualRect(index)
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.left() + 4, rect.top() + 4)
    )
    qtbot.waitUntil(lambda: panel.actions_bar.row == row and panel.actions_bar.isVisible())


def sample_message(number: int) -> str:
    """The ``number``-th message of a long made-up conversation: varied markdown, some code."""
    if number % 2 == 0:
        return f"Question {number // 2}: how do I sort a list of **records** by field {number}?"
    text = (
        f"Answer {number // 2}. You can sort with `sorted()` and a key function. "
        "It is stable, so records with equal keys keep their order. "
        * 3
        + "\n\n- first, pick the field\n- then, call `sorted(records, key=...)`\n"
        + "- finally, reverse it if you need the largest first\n"
    )
    if number % 5 == 1:
        text += (
            "\n```python\nfrom operator import attrgetter\n\n"
            f"ordered = sorted(records, key=attrgetter('field_{number}'))\n"
            "for record in ordered:\n    print(record)\n```\n"
        )
    return text + "\nDoes that help?"


def long_conversation(hub: Hub, messages: int) -> tuple[str, list[Message]]:
    """A saved conversation of ``messages`` messages (one branch); its id and messages."""
    conversation = hub.store.create_conversation("A long conversation")
    saved: list[Message] = []
    for number in range(messages):
        role = "user" if number % 2 == 0 else "assistant"
        parent = saved[-1].id if saved else None
        saved.append(
            hub.store.add_message(conversation.id, role, sample_message(number), parent_id=parent)
        )
    return conversation.id, saved
