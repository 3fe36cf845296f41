"""Copy a message, copy a code block (its button, or the link on the block), a message's
details, and an accessible name on every control.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QMenu, QWidget
from pytestqt.qtbot import QtBot

from nexthub.gui.chat.details import describe
from nexthub.gui.chat.markdown_html import COPY_LINK
from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import (
    SHORT,
    WAIT_MS,
    activate_row,
    saved_branch,
    send_and_wait,
    wait_until_idle,
)

ANSWER_WITH_CODE = """Here is the function:

```python
def greet(name):
    return f"Hello, {name}!"
```

And the shell command:

```
echo hello
```
"""
FIRST_CODE = 'def greet(name):\n    return f"Hello, {name}!"'


def saved_conversation(hub: Hub) -> str:
    """A conversation in the store whose answer has two code blocks."""
    conversation = hub.store.create_conversation("code")
    question = hub.store.add_message(conversation.id, "user", "Show me code.", parent_id=None)
    hub.store.add_message(conversation.id, "assistant", ANSWER_WITH_CODE, parent_id=question.id)
    return conversation.id


def link_position(document: QTextDocument, href: str) -> QPointF:
    """Where the link ``href`` is drawn in ``document`` (a point inside its text)."""
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().anchorHref() == href:
                offset = fragment.position() - block.position() + 1
                line = block.layout().lineForTextPosition(offset)
                bounds = document.documentLayout().blockBoundingRect(block)
                x = line.cursorToX(offset)
                x = x[0] if isinstance(x, tuple) else x
                return QPointF(bounds.left() + x, bounds.top() + line.y() + line.height() / 2)
            iterator += 1
        block = block.next()
    raise AssertionError(f"no link {href} in the document")


def test_copy_a_message_and_its_code_blocks(
    qtbot: QtBot, hub: Hub, open_panel: object, settle: object
) -> None:
    panel = open_panel(hub)  # type: ignore[operator]
    panel.show_conversation(saved_conversation(hub))
    wait_until_idle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.message_list.documents_pending() == 0)  # laid out: links stay put
    clipboard = QApplication.clipboard()

    activate_row(qtbot, panel, 1)
    bar = panel.actions_bar
    qtbot.mouseClick(bar.copy_button, Qt.MouseButton.LeftButton)
    assert clipboard.text() == ANSWER_WITH_CODE

    # Two code blocks: the Copy code button asks which.
    assert bar.copy_code_button.isVisible()
    qtbot.mouseClick(bar.copy_code_button, Qt.MouseButton.LeftButton)
    menu = bar.findChild(QMenu)
    assert menu is not None
    qtbot.waitUntil(menu.isVisible)
    assert [action.text() for action in menu.actions()] == ["Code block 1", "Code block 2"]
    menu.actions()[0].trigger()
    assert clipboard.text() == FIRST_CODE

    # The "Copy code" link drawn on the second block.
    clipboard.clear()
    document = panel.model.message(1).document
    assert document is not None and len(document.parts) == 1
    view = panel.message_list
    rect = view.visualRect(panel.model.row_index(1))
    inside = link_position(document.parts[0], f"{COPY_LINK}1")
    point = view.delegate.text_origin(rect) + inside
    assert view.viewport().rect().contains(point.toPoint())
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=point.toPoint())
    assert clipboard.text() == "echo hello"

    # Ctrl+C on the current message copies it too.
    view.setFocus()
    view.setCurrentIndex(panel.model.row_index(0))
    qtbot.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert clipboard.text() == "Show me code."


@pytest.mark.model
def test_details_show_the_saved_tokens_speed_and_model(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "Say something short.")
    answer = saved_branch(chat_hub, panel)[1]
    assert answer.completion_tokens and answer.decode_tokens_per_s and answer.model

    activate_row(qtbot, panel, 1)
    bar = panel.actions_bar
    assert bar.details_button.isVisible() and bar.details_button.accessibleName() == "Show details"
    height_before = panel.message_list.visualRect(panel.model.row_index(1)).height()
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    shown = panel.message_list.row_text(1)
    assert describe(answer) in shown
    assert f"Model: {answer.model}" in shown
    assert f"{answer.completion_tokens} in the answer" in shown
    assert f"{answer.decode_tokens_per_s:.1f} tokens/s" in shown
    assert f"First token after {answer.time_to_first_token_s:.2f} s" in shown
    assert bar.details_button.accessibleName() == "Hide details"
    qtbot.waitUntil(
        lambda: panel.message_list.visualRect(panel.model.row_index(1)).height() > height_before,
        timeout=WAIT_MS,
    )
    # A user's message offers no details.
    activate_row(qtbot, panel, 0)
    assert not bar.details_button.isVisible()
    activate_row(qtbot, panel, 1)
    qtbot.mouseClick(bar.details_button, Qt.MouseButton.LeftButton)
    assert describe(answer) not in panel.message_list.row_text(1)


def test_every_control_has_an_accessible_name(qtbot: QtBot, hub: Hub, open_panel: object) -> None:
    panel = open_panel(hub)  # type: ignore[operator]
    controls: list[QWidget] = [
        widget
        for widget in panel.findChildren(QWidget)
        if isinstance(widget, QAbstractButton)
        or widget.focusPolicy() != Qt.FocusPolicy.NoFocus
        or (isinstance(widget, QLabel) and widget.parent() is panel.actions_bar)
    ]
    assert len(controls) >= 12
    unnamed = [type(w).__name__ + ":" + w.objectName() for w in controls if not w.accessibleName()]
    assert unnamed == []
    assert panel.message_list.accessibleName() == "Messages"
    assert panel.composer.box.accessibleName() == "Message"
