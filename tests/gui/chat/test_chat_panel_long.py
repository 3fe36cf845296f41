"""A 1,000-message conversation opens at its end, lays its messages out a few at a time, scrolls,
and jumps to a message (on the branch shown, or on another one).
"""

from __future__ import annotations

from collections.abc import Callable

from pytestqt.qtbot import QtBot

from nexthub.gui.chat_panel import ChatPanel
from nexthub.service.hub import Hub
from tests.gui.chat.chat_view_helpers import (
    WAIT_MS,
    long_conversation,
    rendered_text,
    row_text,
    wait_until_idle,
)

MESSAGES = 1000


def on_screen(panel: ChatPanel, row: int) -> bool:
    view = panel.message_list
    return view.visualRect(panel.model.row_index(row)).intersects(view.viewport().rect())


def test_a_thousand_messages_open_at_the_end_and_scroll(
    qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    conversation_id, saved = long_conversation(hub, MESSAGES)
    panel = open_panel(hub)
    view = panel.message_list
    panel.show_conversation(conversation_id)
    wait_until_idle(qtbot, panel)

    assert panel.model.rowCount() == MESSAGES
    qtbot.waitUntil(lambda: on_screen(panel, MESSAGES - 1), timeout=WAIT_MS)
    assert row_text(panel, MESSAGES - 1) == rendered_text(saved[-1].content)
    # Every message gets its laid-out document in the end, a few per turn of the event
    # loop, and the view stays at the end meanwhile.
    qtbot.waitUntil(lambda: view.documents_pending() == 0, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: view.verticalScrollBar().value() == view.verticalScrollBar().maximum(),
        timeout=WAIT_MS,
    )
    assert on_screen(panel, MESSAGES - 1) and view.following

    view.scrollToTop()
    qtbot.waitUntil(lambda: on_screen(panel, 0), timeout=WAIT_MS)
    assert not view.following
    assert row_text(panel, 0) == rendered_text(saved[0].content)
    for row in (250, 501, 777):
        view.scrollTo(panel.model.row_index(row))
        qtbot.waitUntil(lambda r=row: on_screen(panel, r), timeout=WAIT_MS)  # type: ignore[misc]
        assert row_text(panel, row) == rendered_text(saved[row].content)
    # A narrower window lays the messages out again, and keeps the place.
    panel.resize(600, 700)
    qtbot.waitUntil(lambda: view.documents_pending() == 0, timeout=WAIT_MS)
    assert on_screen(panel, 777)


def test_jump_to_a_message_on_the_branch_or_on_another_branch(
    qtbot: QtBot, hub: Hub, open_panel: Callable[[Hub], ChatPanel]
) -> None:
    conversation_id, saved = long_conversation(hub, 200)
    other = hub.store.add_message(
        conversation_id, "assistant", "An answer on another branch.", parent_id=saved[10].id
    )
    hub.store.set_active_leaf(saved[-1].id)
    panel = open_panel(hub)
    # The window asks for the conversation and the message at once (a search hit).
    panel.show_conversation(conversation_id)
    panel.jump_to_message(saved[12].id)
    wait_until_idle(qtbot, panel)
    assert panel.model.rowCount() == 200
    qtbot.waitUntil(lambda: on_screen(panel, 12), timeout=WAIT_MS)
    assert panel.model.message(12).flash
    qtbot.waitUntil(lambda: not panel.model.message(12).flash, timeout=WAIT_MS)

    panel.jump_to_message(other.id)
    wait_until_idle(qtbot, panel)
    assert panel.model.rowCount() == 12
    assert panel.model.message(11).content == other.content
    assert panel.message_list.row_text(11).endswith("2/2 \u203a")
    assert panel.model.message(11).flash and on_screen(panel, 11)
    assert hub.store.current_branch(conversation_id)[-1].id == other.id
