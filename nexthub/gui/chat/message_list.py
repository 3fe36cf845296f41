"""The scrolling list of messages: an item view over the message model.

Why an item view and not one big document: a 1,000-message conversation
would be one enormous document to lay out again whenever anything changed.
Here each message has its own document, built when it is first needed, and
the view paints only the rows on screen.

Why a QTreeView (shown as a flat list) and not a QListView: when one row
changes height, a QListView lays out every row again; a QTreeView keeps each
row's height and asks again only for the row that changed. A streaming
answer changes the height of its row several times a second: measured, 0.7 ms
per change against 6.6 ms with 1,000 rows. Heights come from the model's
``SizeHintRole`` (see :mod:`~nexthub.gui.chat.message_model`), so laying out
all rows, when rows are added or removed, runs without Python.

The view also keeps the reader's place:

- while the reader is at the bottom it stays at the bottom as an answer
  grows; once they scroll up, nothing moves under them;
- when rows above the screen change height (an estimate replaced by the real
  height, a resize), the row at the top of the screen stays where it was.

Documents of rows that were only estimated are built a few at a time in idle
moments (at most :data:`WARM_BUDGET_S` per event-loop turn), nearest to the
visible rows first, so opening a long conversation never stalls the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QKeySequence, QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeView, QWidget

from nexthub.gui.chat.markdown_html import CodeTheme
from nexthub.gui.chat.message_actions import MessageActions
from nexthub.gui.chat.message_delegate import MessageDelegate
from nexthub.gui.chat.message_model import MessageListModel

#: Longest time spent building documents in one turn of the event loop.
WARM_BUDGET_S = 0.003
#: How close to the bottom (pixels) still counts as "at the bottom".
BOTTOM_SLACK = 4


class MessageListView(QTreeView):
    """The chat's messages, with the action bar over the active one."""

    #: The row whose actions are offered changed (-1: none).
    active_row_changed = Signal(int)
    #: A link in a message was clicked: a Link (a web link, or a code block's Copy link).
    link_activated = Signal(object)
    #: Ctrl+C (the platform's Copy key) on a message: its row.
    copy_requested = Signal(int)
    #: Esc in the list (when no window shortcut took it first).
    escape_pressed = Signal()

    def __init__(
        self,
        model: MessageListModel,
        theme: Callable[[], CodeTheme],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # Qt calls the overrides below while the view is being set up: they do only
        # Qt's part until it is (``_ready``).
        self._ready = False
        self._active_row = -1
        self._follow = True
        self._adjusting = False
        self._width = -1
        self._changed_rows: set[int] = set()
        self._model = model
        self.setAccessibleName("Messages")
        self.setModel(model)
        self._delegate = MessageDelegate(
            model, self, theme, self.link_activated.emit, self.row_height_changed
        )
        self.setItemDelegate(self._delegate)
        model.measure = self._delegate.row_height
        # A flat list: no header, no branch lines, one column as wide as the view.
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setItemsExpandable(False)
        self.setIndentation(0)
        self.setUniformRowHeights(False)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().setSingleStep(24)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setMouseTracking(True)
        self.setFrameShape(QTreeView.Shape.NoFrame)
        self.actions_bar = MessageActions(self.viewport())
        self.actions_bar.hide()
        self._warm_timer = QTimer(self)
        self._warm_timer.setInterval(0)
        self._warm_timer.timeout.connect(self._warm)
        self._heights_timer = QTimer(self)
        self._heights_timer.setSingleShot(True)
        self._heights_timer.setInterval(0)
        self._heights_timer.timeout.connect(self._refresh_changed_rows)
        scrollbar = self.verticalScrollBar()
        scrollbar.valueChanged.connect(self._scrolled)
        scrollbar.rangeChanged.connect(self._range_changed)
        model.rowsInserted.connect(self._rows_changed)
        model.rowsRemoved.connect(self._rows_changed)
        model.modelReset.connect(self._rows_changed)
        self._ready = True

    @property
    def delegate(self) -> MessageDelegate:
        """The row painter (it builds the documents)."""
        return self._delegate

    @property
    def active_row(self) -> int:
        """The row the action bar is for (-1: none)."""
        return self._active_row

    @property
    def following(self) -> bool:
        """Whether the view sticks to the bottom as the last message grows."""
        return self._follow

    def set_active_row(self, row: int) -> None:
        """Offer the actions of ``row`` (-1: none)."""
        row = row if 0 <= row < self._model.rowCount() else -1
        changed = row != self._active_row
        self._active_row = row
        self.place_actions()
        if changed:
            self.active_row_changed.emit(row)

    def place_actions(self) -> None:
        """Put the action bar on the active row's footer, or hide it when that is off screen."""
        rect = self.visualRect(self._model.row_index(self._active_row))
        shown = self._active_row >= 0 and rect.isValid()
        shown = shown and rect.intersects(self.viewport().rect())
        if self._delegate.active_row != (self._active_row if shown else -1):
            self._delegate.active_row = self._active_row if shown else -1
            self.viewport().update()
        if not shown:
            self.actions_bar.hide()
            return
        self.actions_bar.move(self._delegate.footer_rect(rect).topLeft())
        self.actions_bar.show()
        self.actions_bar.raise_()

    def stick_to_bottom(self) -> None:
        """Show the end of the conversation and keep showing it as it grows."""
        self._follow = True
        self._set_scroll(self.verticalScrollBar().maximum())

    def row_height_changed(self, row: int) -> None:
        """A row's height changed: the view asks for it again in the next turn of the loop.

        Queued, because the delegate notices it while painting, when the view
        must not change under it.
        """
        self._changed_rows.add(row)
        self._heights_timer.start()

    def refresh_rows(self, rows: Iterable[int]) -> None:
        """The messages of ``rows`` changed: measure and repaint them, keeping the place."""
        self._keeping_place(rows, self._model.refresh)

    def repaint_tail(self, row: int) -> None:
        """Text was appended to ``row`` without changing its height: repaint only its end.

        An answer grows a few times a second; repainting its whole row (a screen
        of text) each time would cost several milliseconds a frame.
        """
        document = self._model.message(row).document
        rect = self.visualRect(self._model.row_index(row))
        if document is None or not rect.isValid():
            return
        tail = document.tail_rect().translated(self._delegate.text_origin(rect))
        self.viewport().update(tail.toAlignedRect().adjusted(-2, -2, 2, 2))

    def remeasure_rows(self, rows: Iterable[int]) -> None:
        """Only the heights of ``rows`` changed (a document was built, or laid out anew)."""
        self._keeping_place(
            rows,
            lambda row: self._model.set_height(
                row, self._delegate.row_height(self._model.message(row))
            ),
        )

    def _keeping_place(self, rows: Iterable[int], update: Callable[[int], None]) -> None:
        wanted = sorted(row for row in rows if 0 <= row < self._model.count())
        if not wanted:
            return
        anchor = None if self._follow else self._anchor()
        for row in wanted:
            update(row)
        self._restore(anchor)
        self.place_actions()

    def documents_pending(self) -> int:
        """Rows whose document is not built at the current width yet (tests wait for 0)."""
        return sum(
            1 for item in self._model.messages() if not self._delegate.has_current_document(item)
        )

    def warm_up(self) -> None:
        """Build the documents not built yet, a few per turn of the event loop."""
        if not self._warm_timer.isActive():
            self._warm_timer.start()

    def row_text(self, row: int) -> str:
        """What the row shows, as plain text (tests, and what a screen reader gets)."""
        return self._delegate.shown_text(self._model.message(row))

    def visible_rows(self) -> range:
        """The rows on screen."""
        count = self._model.rowCount()
        if count == 0:
            return range(0)
        first = self.indexAt(QPoint(1, 1))
        last = self.indexAt(QPoint(1, self.viewport().height() - 2))
        start = first.row() if first.isValid() else 0
        end = last.row() if last.isValid() else count - 1
        return range(start, end + 1)

    # -- Qt overrides -----------------------------------------------------------------------

    def doItemsLayout(self) -> None:  # noqa: N802
        """Lay out all rows (rows added or removed), keeping the reader's place."""
        if not self._ready:
            super().doItemsLayout()
            return
        anchor = None if self._follow else self._anchor()
        super().doItemsLayout()
        self._restore(anchor)
        self.place_actions()
        self.warm_up()

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802
        """Scrolling: the action bar follows its row."""
        super().scrollContentsBy(dx, dy)
        if self._ready:
            self.place_actions()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        """A new width: documents are laid out again and rows measured, visible ones first."""
        super().resizeEvent(event)
        if self._ready and self.viewport().width() != self._width:
            self._width = self.viewport().width()
            self.warm_up()

    def currentChanged(  # noqa: N802
        self,
        current: QModelIndex | QPersistentModelIndex,
        previous: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """The keyboard moved to another message: offer its actions."""
        super().currentChanged(current, previous)
        if current.isValid():
            self.set_active_row(current.row())

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802
        """Tabbing in lands on the last message (Qt's default is the first).

        Not for a click: a click on the action bar also focuses the list, and
        must not move the bar to another message.
        """
        mouse = event.reason() == Qt.FocusReason.MouseFocusReason
        if not mouse and not self.currentIndex().isValid() and self._model.count():
            self.setCurrentIndex(self._model.row_index(self._model.count() - 1))
        super().focusInEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Ctrl+C copies the current message; Esc is the panel's (it stops an answer)."""
        if event.matches(QKeySequence.StandardKey.Copy) and self.currentIndex().isValid():
            self.copy_requested.emit(self.currentIndex().row())
            return
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()
            return
        super().keyPressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        """The pointer's message gets the action bar; a pointing hand over links.

        Mouse moves reach the viewport only where no child is, so moving onto
        the action bar (which may overlap the next message) keeps its message.
        """
        super().mouseMoveEvent(event)
        index = self.indexAt(event.position().toPoint())
        if index.isValid():
            self.set_active_row(index.row())
        link = (
            self._delegate.link_at(index.row(), self.visualRect(index), QPointF(event.position()))
            if index.isValid()
            else None
        )
        shape = Qt.CursorShape.PointingHandCursor if link else Qt.CursorShape.ArrowCursor
        self.viewport().setCursor(shape)

    # -- internals --------------------------------------------------------------------------

    def _anchor(self) -> tuple[int, int] | None:
        index = self.indexAt(QPoint(1, 1))
        return (index.row(), self.visualRect(index).top()) if index.isValid() else None

    def _restore(self, anchor: tuple[int, int] | None) -> None:
        """After heights changed: back to the bottom, or the anchor row where it was."""
        if self._follow:
            self._set_scroll(self.verticalScrollBar().maximum())
        elif anchor is not None and anchor[0] < self._model.rowCount():
            row, top = anchor
            moved = self.visualRect(self._model.row_index(row)).top() - top
            if moved:
                self._set_scroll(self.verticalScrollBar().value() + moved)

    def _set_scroll(self, value: int) -> None:
        self._adjusting = True
        try:
            self.verticalScrollBar().setValue(value)
        finally:
            self._adjusting = False

    def _scrolled(self, value: int) -> None:
        if not self._adjusting:
            self._follow = value >= self.verticalScrollBar().maximum() - BOTTOM_SLACK

    def _range_changed(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self._set_scroll(maximum)

    def _rows_changed(self) -> None:
        self._changed_rows.clear()
        if self._active_row >= self._model.rowCount():
            self.set_active_row(-1)
        else:
            self.place_actions()

    def _refresh_changed_rows(self) -> None:
        rows, self._changed_rows = self._changed_rows, set()
        self.remeasure_rows(rows)

    def _rows_by_distance(self) -> Iterator[int]:
        """Visible rows, then the others, nearest to the screen first."""
        visible = self.visible_rows()
        yield from visible
        below, above = visible.stop, visible.start - 1
        count = self._model.rowCount()
        while below < count or above >= 0:
            if below < count:
                yield below
                below += 1
            if above >= 0:
                yield above
                above -= 1

    def _warm(self) -> None:
        """Build documents until the time budget is spent; then ask for the new heights."""
        deadline = time.perf_counter() + WARM_BUDGET_S
        changed = []
        remaining = False
        for row in self._rows_by_distance():
            item = self._model.message(row)
            if self._delegate.has_current_document(item):
                continue
            if item.rendered is None and item.document is None:
                # Its markdown is being rendered on a worker thread (warm_up() follows);
                # meanwhile its guessed height follows the width.
                if self._delegate.row_height(item) != item.height:
                    changed.append(row)
                continue
            if time.perf_counter() > deadline:
                remaining = True
                break
            self._delegate.ensure_document(item)
            if self._delegate.row_height(item) != item.height:
                changed.append(row)
        self.remeasure_rows(changed)
        if not remaining:
            self._warm_timer.stop()
