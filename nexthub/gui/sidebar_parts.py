"""Small pieces of the sidebar: search-hit markup, its painter, the pin icon, the Undo bar.

Search snippets come from the service with each match between U+E000 and
U+E001 (characters nobody types). :func:`highlighted_html` escapes the raw
snippet first and only then turns the markers into highlight markup, so text
from a chat can never become markup. Qt's item views do not render rich text,
so :class:`RichTextDelegate` paints the resulting HTML with a QTextDocument.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QWidget,
)

from nexthub.service.conversation_list import MARK_END, MARK_START

#: The item role holding the HTML that RichTextDelegate paints.
HTML_ROLE = Qt.ItemDataRole.UserRole + 10
#: Space around the painted text, in pixels.
PADDING = 6
#: Highlight colours for a match: readable on light and dark list backgrounds.
MATCH_STYLE = "background-color:#fde68a;color:#1f2328;"


def highlighted_html(title: str, snippet: str) -> str:
    """The title in bold and the snippet below it, matches highlighted; everything escaped."""
    flat = " ".join(snippet.split())
    marked = (
        html.escape(flat)
        .replace(MARK_START, f'<span style="{MATCH_STYLE}">')
        .replace(MARK_END, "</span>")
    )
    return f"<b>{html.escape(title)}</b><br>{marked}"


def plain_snippet(snippet: str) -> str:
    """The snippet without its match markers (for accessibility and tooltips)."""
    return " ".join(snippet.replace(MARK_START, "").replace(MARK_END, "").split())


class RichTextDelegate(QStyledItemDelegate):
    """Paints an item's :data:`HTML_ROLE` markup, wrapped to the view's width."""

    def _document(self, option: QStyleOptionViewItem, markup: str, width: int) -> QTextDocument:
        document = QTextDocument()
        document.setDefaultFont(option.font)
        document.setDocumentMargin(0)
        document.setHtml(markup)
        document.setTextWidth(max(40, width - 2 * PADDING))
        return document

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """The item's background and focus as the style draws them, then the markup."""
        markup = index.data(HTML_ROLE)
        if not markup:
            super().paint(painter, option, index)
            return
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        item.text = ""
        widget = item.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, widget)
        rect = item.rect
        document = self._document(item, str(markup), rect.width())
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(
            QPalette.ColorRole.Text,
            item.palette.color(role),
        )
        painter.save()
        painter.translate(QPointF(rect.left() + PADDING, rect.top() + PADDING))
        painter.setClipRect(QRectF(0, 0, rect.width() - PADDING, rect.height() - PADDING))
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """Tall enough for the wrapped markup at the view's current width."""
        markup = index.data(HTML_ROLE)
        if not markup:
            return super().sizeHint(option, index)
        view = self.parent()
        width = (
            view.viewport().width()
            if isinstance(view, QWidget) and hasattr(view, "viewport")
            else 240
        )
        document = self._document(option, str(markup), width)
        return QSize(width, int(document.size().height()) + 2 * PADDING)


#: Side of the sidebar's item icons, in pixels.
ICON_SIZE = 16
#: Extra height of a sidebar row, in pixels.
ROW_AIR = 8


def blank_icon() -> QIcon:
    """An empty icon, so that unpinned titles line up with pinned ones."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    return QIcon(pixmap)


class RoomyItemDelegate(QStyledItemDelegate):
    """The style's own item painting, with a little air above and below each row.

    (A style sheet would do it too, but a widget with a style sheet stops
    following the application palette, and the list would stay light in dark mode.)
    """

    def sizeHint(  # noqa: N802 - Qt's name
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        """The style's size plus :data:`ROW_AIR` pixels."""
        size = super().sizeHint(option, index)
        return QSize(size.width(), size.height() + ROW_AIR)


def pin_icon() -> QIcon:
    """A small amber push-pin, drawn here (no icon theme or emoji font is needed)."""
    pixmap = QPixmap(ICON_SIZE, ICON_SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    amber = QColor("#d97706")
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(amber)
    painter.drawEllipse(QRectF(4.5, 1.5, 7, 7))
    painter.drawRect(QRectF(6.5, 7, 3, 3))
    pen_colour = QColor("#92400e")
    painter.setPen(pen_colour)
    painter.drawLine(QPointF(8, 10), QPointF(8, 15))
    painter.end()
    return QIcon(pixmap)


class UndoBar(QFrame):
    """ "Deleted “title”" with an Undo button, shown while a deletion can be undone."""

    #: The user clicked Undo.
    undo_requested = Signal()
    #: The user closed the bar (the deletion stays undoable from the menu).
    closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("undoBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Deleted conversation")
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.label.setAccessibleName("Deleted conversation")
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setAccessibleName("Undo delete")
        self.undo_button.clicked.connect(self.undo_requested)
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close")
        close.setAccessibleName("Close the undo message")
        close.clicked.connect(self._close)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.undo_button)
        layout.addWidget(close)
        self.hide()

    def show_deleted(self, title: str) -> None:
        """Say which conversation was deleted, with Undo."""
        self.label.setText(f"Deleted “{title}”")
        self.show()

    def _close(self) -> None:
        self.hide()
        self.closed.emit()
