"""Stop, with the button or Esc: the answer ends where it got to, is saved that far, and the
view shows exactly that; the panel is ready for the next message.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import (
    ENDLESS,
    SHORT,
    WAIT_MS,
    rendered_text,
    row_text,
    saved_branch,
    send_and_wait,
    type_and_send,
    wait_until_idle,
)

pytestmark = pytest.mark.model


@pytest.mark.parametrize("how", ["button", "escape"])
def test_stop_keeps_the_answer_so_far_and_the_panel_goes_on(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub, how: str
) -> None:
    panel.session.configure(sampling=ENDLESS)
    type_and_send(qtbot, panel, "Write a very long essay about rivers.")
    qtbot.waitUntil(
        lambda: panel.model.rowCount() == 2 and len(panel.model.message(1).content) > 40,
        timeout=WAIT_MS,
    )
    if how == "button":
        qtbot.mouseClick(panel.composer.stop_button, Qt.MouseButton.LeftButton)
    else:
        qtbot.keyClick(panel.composer.box, Qt.Key.Key_Escape)
    wait_until_idle(qtbot, panel)

    answer = saved_branch(chat_hub, panel)[-1]
    assert answer.finish_reason == "cancelled"
    assert answer.completion_tokens is not None and answer.completion_tokens < 1500
    assert answer.content and panel.model.message(1).content == answer.content
    assert row_text(panel, 1) == rendered_text(answer.content)

    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "Thanks. Now say hello.")
    branch = saved_branch(chat_hub, panel)
    assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
    assert row_text(panel, 3) == rendered_text(branch[3].content)


def test_escape_while_editing_leaves_the_edit(qtbot: QtBot, panel: ChatPanel) -> None:
    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "Say yes.")
    panel.message_list.set_active_row(0)
    qtbot.mouseClick(panel.actions_bar.edit_button, Qt.MouseButton.LeftButton)
    assert panel.composer.editing and panel.composer.editing_label.isVisible()
    assert panel.composer.text() == "Say yes."
    qtbot.keyClick(panel.composer.box, Qt.Key.Key_Escape)
    assert not panel.composer.editing and not panel.composer.editing_label.isVisible()
    assert panel.composer.text() == ""
