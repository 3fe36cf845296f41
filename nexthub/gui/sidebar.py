"""The sidebar: the conversations (pinned first, then newest), their actions, and search.

Every store call goes through the :class:`~nexthub.gui.tasks.TaskRunner`; the
list is redrawn when the answer comes back, and an answer that a newer
request has overtaken (typing fast in the search box, two quick refreshes) is
dropped, so the list never flickers back to an older state.

Actions (rename, pin, archive, delete, undo, show archived) are QActions, so
the window's menu, the list's context menu and the keyboard share them.
Delete is final in the store; Undo brings the conversation back from the
service's in-memory copy (its ticket) for as long as the window is open.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.errors import describe
from nexthub.gui.sidebar_parts import (
    HTML_ROLE,
    RichTextDelegate,
    RoomyItemDelegate,
    UndoBar,
    blank_icon,
    highlighted_html,
    pin_icon,
    plain_snippet,
)
from nexthub.gui.tasks import TaskRunner
from nexthub.service.conversation_list import PAGE_SIZE
from nexthub.service.hub import Hub
from nexthub.store.records import Conversation, SearchHit

#: What an item is: a conversation, a section header, "Show more", or a search hit.
KIND_ROLE = Qt.ItemDataRole.UserRole + 1
#: The item's Conversation or SearchHit.
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2
#: Milliseconds of quiet typing before a search runs.
SEARCH_DELAY_MS = 250

_PAGES = {"list": 0, "results": 1, "message": 2}


class Sidebar(QWidget):
    """Conversations and search; tells the window what the user picked."""

    #: The user opened a conversation: its id.
    conversation_selected = Signal(str)
    #: The user asked for a new, empty chat.
    new_chat_requested = Signal()
    #: The user picked a search hit: conversation id, message id ("" when the title matched).
    hit_selected = Signal(str, str)
    #: A conversation was deleted (the window stops showing it): its id.
    conversation_deleted = Signal(str)
    #: A message for the error banner.
    problem = Signal(str)

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._current: str | None = None
        self._archived = False
        self._limit = PAGE_SIZE
        self._list_generation = 0
        self._search_generation = 0
        self._filling = False
        self._undo: list[tuple[int, str]] = []  # (ticket, title), newest last
        self._build()
        self._build_actions()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self._run_search)

    # -- Building --------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Conversations")
        self.new_button = QPushButton("New chat", self)
        self.new_button.setAccessibleName("New chat")
        self.new_button.setToolTip("Start a new chat (Ctrl+N)")
        self.new_button.clicked.connect(self.new_chat_requested)
        self.search_box = QLineEdit(self)
        self.search_box.setPlaceholderText("Search chats")
        self.search_box.setAccessibleName("Search chats")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.textChanged.connect(self._search_text_changed)
        self.heading = QLabel("Chats", self)
        self.heading.setAccessibleName("Shown conversations")
        heading_font = QFont(self.heading.font())
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self._build_lists()
        self.undo_bar = UndoBar(self)
        self.undo_bar.undo_requested.connect(self.undo_delete)
        self.archived_button = QToolButton(self)
        self.archived_button.setAccessibleName("Show archived chats")
        self.archived_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bottom = QHBoxLayout()
        bottom.addWidget(self.archived_button)
        bottom.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search_box)
        layout.addWidget(self.heading)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.undo_bar)
        layout.addLayout(bottom)

    def _build_lists(self) -> None:
        """The conversation list, the search results, and a message page, stacked."""
        self.list = QListWidget(self)
        self.list.setAccessibleName("Conversation list")
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemClicked.connect(self._item_picked)
        self.list.itemActivated.connect(self._item_picked)
        self.list.itemChanged.connect(self._item_edited)
        self.list.currentItemChanged.connect(self._update_actions)
        self.list.setUniformItemSizes(False)
        self.list.setItemDelegate(RoomyItemDelegate(self.list))
        self._pin, self._blank = pin_icon(), blank_icon()

        self.results = QListWidget(self)
        self.results.setAccessibleName("Search results")
        self.results.setItemDelegate(RichTextDelegate(self.results))
        self.results.setWordWrap(True)
        self.results.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.results.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results.itemClicked.connect(self._hit_picked)
        self.results.itemActivated.connect(self._hit_picked)

        self.message = QLabel(self)
        self.message.setAccessibleName("Conversation list message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setMargin(12)

        self.pages = QStackedWidget(self)
        for widget in (self.list, self.results, self.message):
            self.pages.addWidget(widget)

    def _action(
        self, text: str, slot: Callable[[], None], shortcut: QKeySequence | None = None
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.list.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.rename_action = self._action("Rename", self.rename_selected, QKeySequence("F2"))
        self.pin_action = self._action("Pin", self.toggle_pin_selected)
        self.archive_action = self._action("Archive", self.toggle_archive_selected)
        self.delete_action = self._action(
            "Delete", self.delete_selected, QKeySequence(QKeySequence.StandardKey.Delete)
        )
        self.undo_action = QAction("Undo delete", self)
        self.undo_action.triggered.connect(self.undo_delete)
        self.undo_action.setEnabled(False)
        self.show_archived_action = QAction("Show archived chats", self)
        self.show_archived_action.setCheckable(True)
        self.show_archived_action.toggled.connect(self.show_archived)
        self.archived_button.setDefaultAction(self.show_archived_action)
        self._update_actions()

    # -- What the window calls -------------------------------------------------------------

    def refresh(self) -> None:
        """Read the list again (after a change elsewhere, e.g. a new message)."""
        self._list_generation += 1
        generation, archived, limit = self._list_generation, self._archived, self._limit
        self._tasks.run(
            lambda: self._hub.conversations.page(archived=archived, limit=limit + 1),
            lambda found: self._fill(generation, found),
            self._report,
        )
        if self.search_box.text().strip():
            self._search_timer.start(0)

    def set_current(self, conversation_id: str | None) -> None:
        """Mark the conversation the chat view shows (None: a new, unsaved chat)."""
        self._current = conversation_id
        self._select_current()

    def current_conversation(self) -> Conversation | None:
        """The conversation the list's cursor is on, if any."""
        item = self.list.currentItem()
        if item is None or item.data(KIND_ROLE) != "conversation":
            return None
        record = item.data(RECORD_ROLE)
        return record if isinstance(record, Conversation) else None

    def focus_search(self) -> None:
        """Put the cursor in the search box, its text selected (Ctrl+F)."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    @Slot(bool)
    def show_archived(self, archived: bool) -> None:
        """Show the archived conversations instead of the others, or back."""
        if self.show_archived_action.isChecked() != archived:
            self.show_archived_action.setChecked(archived)  # toggled calls back here
            return
        self._archived = archived
        self._limit = PAGE_SIZE
        self.heading.setText("Archived chats" if archived else "Chats")
        self.refresh()

    @Slot()
    def rename_selected(self) -> None:
        """Edit the selected conversation's title in place (Enter saves, Esc cancels)."""
        item = self.list.currentItem()
        if item is not None and item.data(KIND_ROLE) == "conversation":
            self.list.setFocus()
            self.list.editItem(item)

    @Slot()
    def toggle_pin_selected(self) -> None:
        """Pin the selected conversation to the top, or unpin it."""
        conversation = self.current_conversation()
        if conversation is not None:
            self._change(
                lambda: self._hub.conversations.set_pinned(conversation.id, not conversation.pinned)
            )

    @Slot()
    def toggle_archive_selected(self) -> None:
        """Archive the selected conversation (hidden, kept, searchable), or bring it back."""
        conversation = self.current_conversation()
        if conversation is not None:
            self._change(
                lambda: self._hub.conversations.set_archived(
                    conversation.id, not conversation.archived
                )
            )

    @Slot()
    def delete_selected(self) -> None:
        """Delete the selected conversation for good; Undo can bring it back while the app runs."""
        conversation = self.current_conversation()
        if conversation is None:
            return
        self._tasks.run(
            lambda: self._hub.conversations.delete(conversation.id),
            lambda ticket: self._deleted(conversation, ticket),
            self._report,
        )

    @Slot()
    def undo_delete(self) -> None:
        """Bring back the most recently deleted conversation."""
        if not self._undo:
            return
        ticket, _title = self._undo.pop()
        self._show_undo()
        self._tasks.run(
            lambda: self._hub.conversations.undo_delete(ticket),
            lambda _conversation: self.refresh(),
            self._report,
        )

    # -- Filling the lists -----------------------------------------------------------------

    def _fill(self, generation: int, found: list[Conversation]) -> None:
        if generation != self._list_generation:
            return  # a newer refresh is on its way
        more = len(found) > self._limit
        found = found[: self._limit]
        scroll = self.list.verticalScrollBar().value()
        self._filling = True
        try:
            self.list.clear()
            pinned = [c for c in found if c.pinned]
            if pinned and not self._archived:
                self._add_header("Pinned")
                for conversation in pinned:
                    self._add_conversation(conversation)
                found = [c for c in found if not c.pinned]
                if found:
                    self._add_header("Recent")
            for conversation in found:
                self._add_conversation(conversation)
            if more:
                item = QListWidgetItem("Show more…", self.list)
                item.setData(KIND_ROLE, "more")
        finally:
            self._filling = False
        self._select_current()
        self.list.verticalScrollBar().setValue(scroll)
        if not self.search_box.text().strip():
            if self.list.count():
                self.pages.setCurrentIndex(_PAGES["list"])
            else:
                self._say(
                    "No archived chats."
                    if self._archived
                    else "No chats yet. Start one with New chat (Ctrl+N)."
                )
        self._update_actions()

    def _add_header(self, text: str) -> None:
        item = QListWidgetItem(text, self.list)
        item.setData(KIND_ROLE, "header")
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        font = QFont(item.font())
        font.setBold(True)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        item.setFont(font)

    def _add_conversation(self, conversation: Conversation) -> None:
        item = QListWidgetItem(conversation.title, self.list)
        item.setData(KIND_ROLE, "conversation")
        item.setData(RECORD_ROLE, conversation)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        item.setToolTip(f"{conversation.title}\nLast changed {_when(conversation.updated)}")
        item.setIcon(self._pin if conversation.pinned else self._blank)

    def _select_current(self) -> None:
        self._filling = True
        try:
            for row in range(self.list.count()):
                item = self.list.item(row)
                record = item.data(RECORD_ROLE)
                if isinstance(record, Conversation) and record.id == self._current:
                    self.list.setCurrentItem(item)
                    return
            self.list.setCurrentRow(-1)
            self.list.clearSelection()
        finally:
            self._filling = False
            self._update_actions()

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.pages.setCurrentIndex(_PAGES["message"])

    # -- Search ----------------------------------------------------------------------------

    @Slot(str)
    def _search_text_changed(self, text: str) -> None:
        if text.strip():
            self._search_timer.start()
            return
        self._search_timer.stop()
        self._search_generation += 1
        self.results.clear()
        self.heading.setText("Archived chats" if self._archived else "Chats")
        if self.list.count():
            self.pages.setCurrentIndex(_PAGES["list"])
        else:
            self.refresh()

    @Slot()
    def _run_search(self) -> None:
        text = self.search_box.text()
        if not text.strip():
            return
        self._search_generation += 1
        generation = self._search_generation
        self._tasks.run(
            lambda: self._hub.conversations.search(text),
            lambda hits: self._show_hits(generation, text, hits),
            self._report,
        )

    def _show_hits(self, generation: int, text: str, hits: list[SearchHit]) -> None:
        if generation != self._search_generation:
            return  # the user typed on
        self.heading.setText("Search results")
        self.results.clear()
        if not hits:
            self._say(f"No chats match “{text.strip()}”.")
            return
        for hit in hits:
            snippet = plain_snippet(hit.snippet)
            item = QListWidgetItem(f"{hit.conversation_title}: {snippet}", self.results)
            item.setData(HTML_ROLE, highlighted_html(hit.conversation_title, hit.snippet))
            item.setData(RECORD_ROLE, hit)
            item.setData(KIND_ROLE, "hit")
            item.setToolTip(snippet)
        self.pages.setCurrentIndex(_PAGES["results"])

    @Slot(QListWidgetItem)
    def _hit_picked(self, item: QListWidgetItem) -> None:
        hit = item.data(RECORD_ROLE)
        if isinstance(hit, SearchHit):
            self._current = hit.conversation_id
            self.hit_selected.emit(hit.conversation_id, hit.message_id or "")

    # -- Reacting to the user --------------------------------------------------------------

    @Slot(QListWidgetItem)
    def _item_picked(self, item: QListWidgetItem) -> None:
        kind = item.data(KIND_ROLE)
        if kind == "more":
            self._limit += PAGE_SIZE
            self.refresh()
        elif kind == "conversation":
            record = item.data(RECORD_ROLE)
            if isinstance(record, Conversation) and record.id != self._current:
                self._current = record.id
                self.conversation_selected.emit(record.id)

    @Slot(QListWidgetItem)
    def _item_edited(self, item: QListWidgetItem) -> None:
        if self._filling or item.data(KIND_ROLE) != "conversation":
            return
        record = item.data(RECORD_ROLE)
        title = item.text()
        if not isinstance(record, Conversation) or title == record.title:
            return
        self._change(lambda: self._hub.conversations.rename(record.id, title))

    @Slot(QPoint)
    def _context_menu(self, position: QPoint) -> None:
        item = self.list.itemAt(position)
        if item is None or item.data(KIND_ROLE) != "conversation":
            return
        self.list.setCurrentItem(item)
        menu = QMenu(self)
        menu.setAccessibleName("Conversation actions")
        for action in (self.rename_action, self.pin_action, self.archive_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.delete_action)
        menu.popup(self.list.viewport().mapToGlobal(position))

    @Slot()
    def _update_actions(self) -> None:
        conversation = self.current_conversation()
        for action in (
            self.rename_action,
            self.pin_action,
            self.archive_action,
            self.delete_action,
        ):
            action.setEnabled(conversation is not None)
        pinned = conversation is not None and conversation.pinned
        archived = conversation is not None and conversation.archived
        self.pin_action.setText("Unpin" if pinned else "Pin")
        self.archive_action.setText("Unarchive" if archived else "Archive")

    # -- After a change --------------------------------------------------------------------

    def _change(self, work: Callable[[], object]) -> None:
        """Run a store change, then show the list as it now is (also after a failure)."""

        def failed(error: BaseException) -> None:
            self._report(error)
            self.refresh()  # put back what is really saved (a refused rename, say)

        self._tasks.run(work, lambda _result: self.refresh(), failed)

    def _deleted(self, conversation: Conversation, ticket: int) -> None:
        self._undo.append((ticket, conversation.title))
        self._show_undo()
        if conversation.id == self._current:
            self._current = None
        self.conversation_deleted.emit(conversation.id)
        self.refresh()

    def _show_undo(self) -> None:
        self.undo_action.setEnabled(bool(self._undo))
        if self._undo:
            self.undo_bar.show_deleted(self._undo[-1][1])
        else:
            self.undo_bar.hide()

    def _report(self, error: BaseException) -> None:
        self.problem.emit(describe(error))


def _when(moment: datetime) -> str:
    """A timestamp in the user's local time, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")
