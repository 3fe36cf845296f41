"""The messages of the branch on screen, as a Qt item model.

Rows are :class:`MessageItem` objects: what the service reported about a
message (text, version, saved record) and what the view keeps for it (its
laid-out document, whether its details are open).

The model is a QStandardItemModel on purpose: the view asks a model and a
delegate about every row whenever it lays all rows out (rows added or
removed). Asking Python a thousand times costs 5 to 10 ms, and far more when
another thread holds the GIL (rendering markdown, say): measured, up to 125 ms.
So each row's height is kept in the C++ model as its ``SizeHintRole`` and the
delegate does not override ``sizeHint``: a full layout runs without Python.
Heights are set here whenever they change (:meth:`MessageListModel.set_height`).

:meth:`MessageListModel.sync` shows a fresh list from the service, keeping
the rows that did not change, with their documents: switching a version or
finishing an answer touches only the rows after the first difference.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QObject, QSize, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel

from nexthub.gui.chat.details import speaker
from nexthub.gui.chat.markdown_html import RenderedMarkdown
from nexthub.gui.chat.message_document import MessageDocument
from nexthub.store.records import Message, Role

_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


@dataclass(eq=False)
class MessageItem:
    """One row: a message of the shown branch and its on-screen state (main thread only)."""

    role: Role
    content: str
    version: int = 1
    versions: int = 1
    #: The saved message; None for an answer still being written.
    record: Message | None = None
    #: The markdown rendered on a worker thread; None until it is.
    rendered: RenderedMarkdown | None = None
    #: The laid-out text; built when the row is first needed.
    document: MessageDocument | None = None
    #: An answer being written.
    streaming: bool = False
    show_details: bool = False
    #: Briefly highlighted (a search hit jumped to).
    flash: bool = False
    #: The text's guessed height before the document exists: (width, height).
    estimate: tuple[int, int] | None = None
    #: The row's height as the view has it (the model's SizeHintRole).
    height: int = 0

    @property
    def message_id(self) -> str | None:
        """The saved message's id, or None."""
        return self.record.id if self.record is not None else None


def accessible_text(item: MessageItem) -> str:
    """What a screen reader reads for a row."""
    version = f" (version {item.version} of {item.versions})" if item.versions > 1 else ""
    return f"{speaker(item.role, item.record)}{version}: {item.content}"


class MessageListModel(QStandardItemModel):
    """The rows of the chat view: one column, one MessageItem per row."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._messages: list[MessageItem] = []
        #: How tall a row is (the view's delegate sets it; 1 until a view is attached).
        self.measure: Callable[[MessageItem], int] = lambda _item: 1

    def message(self, row: int) -> MessageItem:
        """The row's message."""
        return self._messages[row]

    def row_index(self, row: int) -> QModelIndex:
        """The model index of a row (the one column)."""
        return self.index(row, 0)

    def messages(self) -> list[MessageItem]:
        """All rows, in order (a copy)."""
        return list(self._messages)

    def count(self) -> int:
        """How many rows (without asking Qt)."""
        return len(self._messages)

    def row_of(self, message_id: str) -> int | None:
        """The row showing the message with this id, or None."""
        for row in range(len(self._messages) - 1, -1, -1):
            if self._messages[row].message_id == message_id:
                return row
        return None

    def set_height(self, row: int, height: int) -> None:
        """The row's height changed: the view lays out that row again (only that row)."""
        message = self._messages[row]
        if height != message.height:
            message.height = height
            self.item(row).setData(QSize(1, height), Qt.ItemDataRole.SizeHintRole)

    def refresh(self, row: int) -> None:
        """The row's message changed in place: new height, new text for readers, repaint."""
        message = self._messages[row]
        self.set_height(row, self.measure(message))
        cell = self.item(row)
        text = accessible_text(message)
        if cell.data(Qt.ItemDataRole.AccessibleTextRole) != text:
            cell.setData(text, Qt.ItemDataRole.AccessibleTextRole)
        else:
            index = self.row_index(row)
            self.dataChanged.emit(index, index)

    def append(self, messages: Sequence[MessageItem]) -> None:
        """Add rows at the end (one insertion, however many rows)."""
        if messages:
            cells = self._cells(messages)
            self._messages.extend(messages)
            self.invisibleRootItem().appendRows(cells)

    def prepend(self, messages: Sequence[MessageItem]) -> None:
        """Add rows at the top (older messages of a conversation being opened)."""
        if messages:
            cells = self._cells(messages)
            self._messages[0:0] = messages
            self.invisibleRootItem().insertRows(0, cells)

    def _cells(self, messages: Sequence[MessageItem]) -> list[QStandardItem]:
        cells = []
        for message in messages:
            message.height = self.measure(message)
            cell = QStandardItem()
            cell.setFlags(_FLAGS)
            cell.setData(QSize(1, message.height), Qt.ItemDataRole.SizeHintRole)
            cell.setData(accessible_text(message), Qt.ItemDataRole.AccessibleTextRole)
            cells.append(cell)
        return cells

    def truncate(self, rows: int) -> None:
        """Keep only the first ``rows`` rows."""
        if rows < len(self._messages):
            del self._messages[rows:]
            self.removeRows(rows, self.rowCount() - rows)

    def clear_rows(self) -> None:
        """No rows."""
        self.truncate(0)

    def sync(self, fresh: Sequence[MessageItem]) -> int:
        """Show ``fresh``, keeping unchanged rows and every document that still fits.

        Returns the first row that changed (``len(fresh)`` when none did).
        """
        keep = 0
        for old, new in zip(self._messages, fresh, strict=False):
            if old.streaming or old.message_id is None or old.message_id != new.message_id:
                break
            if old.content != new.content:
                break
            changed = (old.version, old.versions, old.record) != (
                new.version,
                new.versions,
                new.record,
            )
            old.version, old.versions, old.record = new.version, new.versions, new.record
            if changed:
                self.refresh(keep)
            keep += 1
        reusable: dict[tuple[str | None, str], MessageItem] = {
            (message.message_id, message.content): message
            for message in self._messages[keep:]
            if message.message_id is not None and not message.streaming
        }
        tail = []
        for new in fresh[keep:]:
            old_message = reusable.get((new.message_id, new.content))
            if old_message is not None:
                new.document, new.rendered = old_message.document, old_message.rendered
                new.show_details = old_message.show_details
            tail.append(new)
        self.truncate(keep)
        self.append(tail)
        return keep
