"""The sidebar in the real main window: list, rename, pin, archive, delete with Undo, search.

No model is loaded here (the window is started without one): the sidebar
only needs the real encrypted store. The chat view is the real one; calls
into it are recorded, not replaced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QListWidgetItem
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import MainWindow
from nexthub.gui.sidebar_parts import HTML_ROLE
from nexthub.gui.tasks import TaskRunner
from nexthub.service.hub import Hub
from tests.gui.shell_helpers import WAIT_MS, add_chat, rows, select, spy

Settle = Callable[[], None]


@pytest.fixture
def window(qtbot: QtBot, hub: Hub, tasks: TaskRunner, settle: Settle) -> Iterator[MainWindow]:
    add_chat(hub, "Soup recipes", "How do I make leek soup?", "Leeks, potatoes, stock.")
    add_chat(hub, "Trip ideas", "Where should I go in May?", "Lisbon is lovely in May.")
    add_chat(hub, "Tax questions", "Is a desk deductible?", "Often, for home offices.")
    main = MainWindow(hub, tasks)
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is main, timeout=WAIT_MS)
    main.start(load_model=False)
    settle()
    yield main
    settle()
    if shiboken6.isValid(main):  # a test may have closed and deleted the window already
        main.close()


def test_the_list_shows_the_newest_first_and_opens_a_conversation(
    window: MainWindow, qtbot: QtBot
) -> None:
    assert rows(window.sidebar.list) == ["Tax questions", "Trip ideas", "Soup recipes"]
    assert window.sidebar.heading.text() == "Chats"
    shown = spy(window.chat, "show_conversation")
    item = window.sidebar.list.item(1)
    rect = window.sidebar.list.visualItemRect(item)
    qtbot.mouseClick(window.sidebar.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert len(shown) == 1 and window.shown_conversation() == shown[0][0]


def test_rename_in_place_with_f2(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    select(window, "Trip ideas")
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, "Lisbon in May")
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the item view commits it a moment later
    qtbot.waitUntil(lambda: "Lisbon in May" in rows(window.sidebar.list), timeout=WAIT_MS)

    assert "Lisbon in May" in [c.title for c in hub.conversations.page()]


def test_an_empty_title_is_refused_in_the_banner_and_the_old_one_stays(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    select(window, "Trip ideas")
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.setText("   ")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(window.banner.isVisible, timeout=WAIT_MS)
    settle()

    assert window.banner.message() == "A conversation needs a title."
    assert rows(window.sidebar.list) == ["Tax questions", "Trip ideas", "Soup recipes"]


def shows_a_pin(item: QListWidgetItem) -> bool:
    """Whether the item's icon has anything drawn in it (unpinned items get an empty one)."""
    image = item.icon().pixmap(16, 16).toImage()
    return any(image.pixelColor(x, y).alpha() for x in range(16) for y in range(16))


def test_pinned_conversations_come_first_under_their_own_heading(
    window: MainWindow, qtbot: QtBot, settle: Settle
) -> None:
    select(window, "Soup recipes")
    assert window.sidebar.pin_action.text() == "Pin"
    window.sidebar.pin_action.trigger()  # as the Conversation menu or the context menu does
    settle()

    assert rows(window.sidebar.list) == [
        "Pinned",
        "Soup recipes",
        "Recent",
        "Tax questions",
        "Trip ideas",
    ]
    assert shows_a_pin(window.sidebar.list.item(1))
    assert not shows_a_pin(window.sidebar.list.item(3))
    assert not window.sidebar.list.item(0).flags() & Qt.ItemFlag.ItemIsSelectable  # a heading
    select(window, "Soup recipes")
    assert window.sidebar.pin_action.text() == "Unpin"
    window.sidebar.pin_action.trigger()
    settle()
    assert rows(window.sidebar.list) == ["Soup recipes", "Tax questions", "Trip ideas"]
    assert not shows_a_pin(window.sidebar.list.item(0))


def test_archived_conversations_leave_the_list_and_can_be_seen_and_brought_back(
    window: MainWindow, qtbot: QtBot, settle: Settle
) -> None:
    select(window, "Tax questions")
    window.sidebar.archive_action.trigger()
    settle()
    assert rows(window.sidebar.list) == ["Trip ideas", "Soup recipes"]

    qtbot.mouseClick(window.sidebar.archived_button, Qt.MouseButton.LeftButton)
    settle()
    assert window.sidebar.heading.text() == "Archived chats"
    assert rows(window.sidebar.list) == ["Tax questions"]
    select(window, "Tax questions")
    assert window.sidebar.archive_action.text() == "Unarchive"
    window.sidebar.archive_action.trigger()
    settle()
    assert rows(window.sidebar.list) == []
    assert window.sidebar.message.text() == "No archived chats."

    qtbot.mouseClick(window.sidebar.archived_button, Qt.MouseButton.LeftButton)
    settle()
    assert rows(window.sidebar.list) == ["Tax questions", "Trip ideas", "Soup recipes"]


def test_delete_is_at_once_and_undo_brings_the_conversation_back_whole(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    (trip,) = [c for c in hub.conversations.page() if c.title == "Trip ideas"]
    before = hub.store.export_conversations([trip.id])
    window.show_conversation(trip.id)
    shown = spy(window.chat, "show_conversation")
    select(window, "Trip ideas")
    qtbot.keyClick(window.sidebar.list, Qt.Key.Key_Delete)
    settle()

    assert rows(window.sidebar.list) == ["Tax questions", "Soup recipes"]
    assert hub.conversations.search("Lisbon") == []
    assert window.sidebar.undo_bar.isVisible()
    assert window.sidebar.undo_bar.label.text() == "Deleted “Trip ideas”"
    assert shown == [(None,)]  # the chat view no longer shows the deleted conversation

    qtbot.mouseClick(window.sidebar.undo_bar.undo_button, Qt.MouseButton.LeftButton)
    settle()
    assert rows(window.sidebar.list) == ["Tax questions", "Trip ideas", "Soup recipes"]
    assert not window.sidebar.undo_bar.isVisible()
    assert hub.store.export_conversations([trip.id]) == before


def test_search_highlights_the_hits_and_jumps_to_the_message(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    conversation_id, (_question, answer) = add_chat(
        hub, "Markup <b>test</b>", "Show me <i>tags</i> & more", "Tags like <script> shown as text"
    )
    window.sidebar.refresh()
    settle()
    jumps = spy(window.chat, "jump_to_message")
    shown = spy(window.chat, "show_conversation")

    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.sidebar.search_box.hasFocus()
    qtbot.keyClicks(window.sidebar.search_box, "script")
    qtbot.waitUntil(lambda: window.sidebar.results.count() == 1, timeout=WAIT_MS)

    assert window.sidebar.heading.text() == "Search results"
    item = window.sidebar.results.item(0)
    assert item.text() == "Markup <b>test</b>: Tags like <script> shown as text"
    markup = item.data(HTML_ROLE)
    assert markup.startswith("<b>Markup &lt;b&gt;test&lt;/b&gt;</b><br>")
    assert "&lt;<span style=" in markup and ">script</span>&gt;" in markup
    assert "<script>" not in markup

    rect = window.sidebar.results.visualItemRect(item)
    qtbot.mouseClick(
        window.sidebar.results.viewport(), Qt.MouseButton.LeftButton, pos=rect.center()
    )
    assert shown == [(conversation_id,)]
    assert jumps == [(answer,)]
    assert window.shown_conversation() == conversation_id

    window.sidebar.search_box.clear()
    assert window.sidebar.heading.text() == "Chats"
    assert window.sidebar.pages.currentWidget() is window.sidebar.list


def test_a_search_without_hits_says_so(window: MainWindow, qtbot: QtBot) -> None:
    window.sidebar.focus_search()
    qtbot.keyClicks(window.sidebar.search_box, "zanzibar")
    qtbot.waitUntil(
        lambda: window.sidebar.message.text() == "No chats match “zanzibar”.", timeout=WAIT_MS
    )
    assert window.sidebar.pages.currentWidget() is window.sidebar.message


def test_a_new_conversation_from_the_chat_view_appears_and_is_marked(
    window: MainWindow, hub: Hub, settle: Settle
) -> None:
    conversation_id, _ = add_chat(hub, "Fresh one", "Hello")
    window.chat.conversation_changed.emit(conversation_id)
    settle()
    assert rows(window.sidebar.list)[0] == "Fresh one"
    current = window.sidebar.current_conversation()
    assert current is not None and current.id == conversation_id
