"""A theme switch recolours code in the messages already on screen, not only in new ones.

The real panel over a saved conversation in the real encrypted store; the
theme is switched as Settings switches it (``theme.apply_theme`` on the
application), and what is checked is the laid-out document the row paints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from nexthub.gui.chat.markdown_html import CodeTheme
from nexthub.gui.chat_panel import ChatPanel
from nexthub.gui.theme import apply_theme
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import WAIT_MS, wait_until_idle

LIGHT = CodeTheme.for_dark_background(False)
DARK = CodeTheme.for_dark_background(True)
ANSWER = "Like this:\n\n```python\nimport os\nprint(os.getcwd())\n```\n\nUse `os` with care."


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    """The application in the light theme; back to the system's colours afterwards."""
    apply_theme(qapp, "light")
    yield qapp
    apply_theme(qapp, "system")


def shown_html(panel: ChatPanel, row: int) -> str:
    """The HTML of the document the row paints (built at its real width)."""
    document = panel.model.message(row).document
    assert document is not None, f"row {row} was never laid out"
    return "".join(part.toHtml() for part in document.parts)


def test_switching_to_dark_recolours_a_code_block_already_shown_and_back(
    app: QApplication, qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    conversation = hub.store.create_conversation("Code")
    question = hub.store.add_message(
        conversation.id, "user", "How do I print the folder?", parent_id=None
    )
    hub.store.add_message(conversation.id, "assistant", ANSWER, parent_id=question.id)
    panel = open_panel(hub)
    panel.show_conversation(conversation.id)
    wait_until_idle(qtbot, panel)
    qtbot.waitUntil(lambda: panel.message_list.documents_pending() == 0, timeout=WAIT_MS)
    before = shown_html(panel, 1)
    assert LIGHT.background in before and DARK.background not in before
    question_document = panel.model.message(0).document

    apply_theme(app, "dark")
    qtbot.waitUntil(lambda: DARK.background in shown_html(panel, 1), timeout=WAIT_MS)
    after = shown_html(panel, 1)
    assert LIGHT.background not in after
    assert DARK.inline_background in after  # inline code too
    assert "print(os.getcwd())" in panel.message_list.row_text(1)  # the same text
    assert panel.model.message(0).document is question_document  # no code: left alone

    apply_theme(app, "light")
    qtbot.waitUntil(lambda: LIGHT.background in shown_html(panel, 1), timeout=WAIT_MS)
    assert DARK.background not in shown_html(panel, 1)
