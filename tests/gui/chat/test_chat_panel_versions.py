"""Regenerate and edit: the earlier answer or prompt stays as a version, and the version
switch flips between the branches, showing each exactly as the store keeps it.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nexthub.engine import SamplingSettings
from nexthub.gui.chat.details import version_label
from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import (
    SHORT,
    WAIT_MS,
    activate_row,
    rendered_text,
    row_text,
    saved_branch,
    send_and_wait,
    wait_until_idle,
)

pytestmark = pytest.mark.model

#: Different answers each time: regenerating should give another text.
VARIED = SamplingSettings(temperature=1.0, max_tokens=24)


def click(qtbot: QtBot, button: object) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # type: ignore[arg-type]


def assert_row_shows(panel: ChatPanel, row: int, content: str, version: int, versions: int) -> None:
    assert panel.model.message(row).content == content
    assert row_text(panel, row) == rendered_text(content)
    shown = panel.message_list.row_text(row)
    if versions > 1:
        assert shown.endswith(version_label(version, versions))
    else:
        assert "/" not in shown.splitlines()[-1]


def test_regenerate_keeps_the_earlier_answer_as_a_version(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    panel.session.configure(sampling=VARIED)
    send_and_wait(qtbot, panel, "Invent a name for a cat.")
    first = saved_branch(chat_hub, panel)[1]

    activate_row(qtbot, panel, 1)
    bar = panel.actions_bar
    assert bar.regenerate_button.isVisible() and not bar.previous_button.isVisible()
    click(qtbot, bar.regenerate_button)
    qtbot.waitUntil(lambda: panel.busy, timeout=WAIT_MS)
    wait_until_idle(qtbot, panel)

    second = saved_branch(chat_hub, panel)[1]
    assert second.id != first.id
    assert [m.id for m in chat_hub.store.siblings(second.id)] == [first.id, second.id]
    assert_row_shows(panel, 1, second.content, 2, 2)

    activate_row(qtbot, panel, 1)
    assert bar.version_label.text() == "2/2"
    assert bar.previous_button.isEnabled() and not bar.next_button.isEnabled()
    click(qtbot, bar.previous_button)
    wait_until_idle(qtbot, panel)
    assert_row_shows(panel, 1, first.content, 1, 2)
    assert saved_branch(chat_hub, panel)[1].id == first.id
    assert bar.version_label.text() == "1/2" and bar.accessibleName() == "Message actions"
    assert bar.version_label.accessibleName() == "Version 1 of 2"

    click(qtbot, bar.next_button)
    wait_until_idle(qtbot, panel)
    assert_row_shows(panel, 1, second.content, 2, 2)


def test_editing_a_sent_message_makes_a_new_branch(
    qtbot: QtBot, panel: ChatPanel, chat_hub: Hub
) -> None:
    panel.session.configure(sampling=SHORT)
    send_and_wait(qtbot, panel, "What is two plus two?")
    send_and_wait(qtbot, panel, "And three plus three?")
    before = saved_branch(chat_hub, panel)
    assert len(before) == 4

    activate_row(qtbot, panel, 2)
    assert panel.actions_bar.edit_button.isVisible()
    click(qtbot, panel.actions_bar.edit_button)
    assert panel.composer.editing and panel.composer.text() == "And three plus three?"
    panel.composer.box.selectAll()
    qtbot.keyClicks(panel.composer.box, "And four plus four?")
    qtbot.keyClick(panel.composer.box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: panel.busy, timeout=WAIT_MS)
    wait_until_idle(qtbot, panel)

    after = saved_branch(chat_hub, panel)
    assert [m.id for m in after[:2]] == [m.id for m in before[:2]]
    assert after[2].content == "And four plus four?" and after[2].parent_id == before[1].id
    assert panel.model.rowCount() == 4
    assert_row_shows(panel, 2, "And four plus four?", 2, 2)
    assert_row_shows(panel, 3, after[3].content, 1, 1)
    assert not panel.composer.editing

    activate_row(qtbot, panel, 2)
    click(qtbot, panel.actions_bar.previous_button)
    wait_until_idle(qtbot, panel)
    assert [m.id for m in saved_branch(chat_hub, panel)] == [m.id for m in before]
    assert_row_shows(panel, 2, "And three plus three?", 1, 2)
    assert_row_shows(panel, 3, before[3].content, 1, 1)
