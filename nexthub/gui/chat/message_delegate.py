"""How one message row is laid out and painted.

A row is: a header (who wrote it), the message's document, its details when
open, and a footer with its version label and room for the action bar. The
height of a row whose document was not built yet is guessed from its length
(:mod:`~nexthub.gui.chat.text_estimate`), so a 1,000-message conversation can
be shown at once without laying out 1,000 documents on the main thread; the
view builds documents near what is visible first and corrects the guesses.

The delegate does not override ``sizeHint``: row heights live in the model
(see :mod:`~nexthub.gui.chat.message_model`), which the view reads without
calling Python.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel as _Model
from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QRectF,
    Qt,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from nexthub.gui.chat.details import describe, speaker, version_label
from nexthub.gui.chat.markdown_html import CodeTheme, render_markdown
from nexthub.gui.chat.message_document import Link, MessageDocument
from nexthub.gui.chat.message_model import MessageItem, MessageListModel
from nexthub.gui.chat.text_estimate import TextMetrics, estimate_text_height

#: Space inside a row: left and right, above the header, between header and text.
PAD_X = 14
PAD_TOP = 10
HEADER_GAP = 4
#: Room under the text for the version label and the action bar.
FOOTER_HEIGHT = 30
#: Rounded corners of a user message's background.
RADIUS = 8


class MessageDelegate(QStyledItemDelegate):
    """Paints message rows and builds their documents (main thread)."""

    def __init__(
        self,
        model: MessageListModel,
        view: QAbstractItemView,
        theme: Callable[[], CodeTheme],
        on_link: Callable[[Link], None],
        height_changed: Callable[[int], None],
    ) -> None:
        super().__init__(view)
        self._model = model
        self._viewport = view.viewport()
        self._theme = theme
        self._on_link = on_link
        self._height_changed = height_changed
        #: The row the action bar covers: its own version switch replaces the painted label.
        self.active_row = -1
        self.update_fonts(view.font())

    def update_fonts(self, font: QFont) -> None:
        """Take the view's font (after a font or style change)."""
        self._font = QFont(font)
        self._header_font = QFont(font)
        self._header_font.setBold(True)
        self._small_font = QFont(font)
        self._small_font.setPointSizeF(max(6.0, font.pointSizeF() * 0.9))
        self._metrics = QFontMetrics(self._font)
        self._header_height = QFontMetrics(self._header_font).height()
        self._small_metrics = QFontMetrics(self._small_font)

    def text_width(self) -> int:
        """The width message text is laid out at: the view's, less the row's padding."""
        return max(80, self._viewport.width() - 2 * PAD_X)

    def text_metrics(self) -> TextMetrics:
        """What a worker thread needs to guess text heights at the current width."""
        return TextMetrics(
            self.text_width(), self._metrics.averageCharWidth(), self._metrics.lineSpacing()
        )

    # -- documents --------------------------------------------------------------------------

    def has_current_document(self, item: MessageItem) -> bool:
        """Whether the row's document exists at the current width."""
        return item.document is not None and item.document.width == self.text_width()

    def ensure_document(self, item: MessageItem) -> MessageDocument:
        """The row's document at the current width, built now if need be.

        A message whose markdown was not rendered on a worker thread yet is
        rendered here: that happens only when a row is painted before its turn
        (a fast scroll through a conversation that is still opening).
        """
        width = self.text_width()
        if item.document is None:
            document = MessageDocument(self._font, width)
            if item.streaming:
                document.set_plain(item.content)
            else:
                if item.rendered is None:
                    item.rendered = render_markdown(item.content, self._theme())
                document.set_rendered(item.rendered)
            item.document = document
        elif item.document.width != width:
            item.document.set_width(width)
        return item.document

    # -- geometry ----------------------------------------------------------------------------

    def text_height(self, item: MessageItem) -> int:
        """The text's height: laid out if the document exists, else estimated."""
        if item.document is not None:
            return int(item.document.height() + 0.999)
        width = self.text_width()
        if item.estimate is None or item.estimate[0] != width:
            item.estimate = (width, estimate_text_height(item.content, self.text_metrics()))
        return item.estimate[1]

    def row_height(self, item: MessageItem) -> int:
        """The whole row's height."""
        height = PAD_TOP + self._header_height + HEADER_GAP + self.text_height(item)
        if item.show_details:
            height += self._details_height(item) + 4
        return height + FOOTER_HEIGHT

    def text_origin(self, rect: QRect) -> QPointF:
        """Where a row's text starts, for a row at ``rect``."""
        return QPointF(rect.left() + PAD_X, rect.top() + PAD_TOP + self._header_height + HEADER_GAP)

    def footer_rect(self, rect: QRect) -> QRect:
        """Where a row's footer is (the action bar goes there)."""
        return QRect(rect.left() + PAD_X, rect.bottom() - FOOTER_HEIGHT + 2, rect.width(), 26)

    # -- painting ----------------------------------------------------------------------------

    def shown_text(self, item: MessageItem) -> str:
        """What the row shows, as plain text: header, text, details, version (tests read it)."""
        lines = [speaker(item.role, item.record)]
        lines.append(item.document.plain_text() if item.document else item.content)
        if item.show_details:
            lines.append(describe(item.record))
        if item.versions > 1:
            lines.append(version_label(item.version, item.versions))
        return "\n".join(lines)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Paint one row; builds its document first if it was only estimated."""
        item = self._model.message(index.row())
        rect: QRect = option.rect
        palette: QPalette = option.palette
        state = option.state
        document = self.ensure_document(item)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        inner = rect.adjusted(6, 3, -6, -3)
        if item.role == "user":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(inner, RADIUS, RADIUS)
        if item.flash:
            flash = QColor(palette.color(QPalette.ColorRole.Highlight))
            flash.setAlpha(70)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(flash)
            painter.drawRoundedRect(inner, RADIUS, RADIUS)
        if state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(inner, RADIUS, RADIUS)
        muted = palette.color(QPalette.ColorRole.PlaceholderText)
        painter.setFont(self._header_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        header = QRect(rect.left() + PAD_X, rect.top() + PAD_TOP, rect.width(), self._header_height)
        painter.drawText(header, Qt.AlignmentFlag.AlignLeft, speaker(item.role, item.record))
        origin = self.text_origin(rect)
        # Only what is exposed: an answer can be many screens tall, and drawing all of
        # it on every update would cost more the longer it gets.
        visible = QRectF(rect).intersected(QRectF(self._viewport.rect()))
        if painter.hasClipping():
            visible = visible.intersected(painter.clipBoundingRect())
        document.draw(painter, palette, origin, visible)
        bottom = origin.y() + document.height()
        painter.setFont(self._small_font)
        painter.setPen(muted)
        if item.show_details:
            details = QRect(
                int(origin.x()), int(bottom) + 4, self.text_width(), self._details_height(item)
            )
            painter.drawText(details, Qt.TextFlag.TextWordWrap, describe(item.record))
        if item.versions > 1 and index.row() != self.active_row:
            footer = self.footer_rect(rect)
            label = version_label(item.version, item.versions)
            painter.drawText(footer, Qt.AlignmentFlag.AlignVCenter, label)
        painter.restore()
        if item.height != self.row_height(item):
            self._height_changed(index.row())

    def editorEvent(  # noqa: N802
        self,
        event: QEvent,
        model: _Model,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        """A click on a link in the text: a code block's Copy link, or a web link."""
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            link = self.link_at(index.row(), option.rect, event.position())
            if link is not None:
                self._on_link(link)
                return True
        return False

    def link_at(self, row: int, rect: QRect, point: QPointF) -> Link | None:
        """The link at ``point`` (viewport coordinates) in the row at ``rect``."""
        item = self._model.message(row)
        if item.document is None:
            return None
        origin = self.text_origin(rect)
        return item.document.link_at(point - origin)

    def _details_height(self, item: MessageItem) -> int:
        bounds = self._small_metrics.boundingRect(
            QRect(0, 0, self.text_width(), 10_000), Qt.TextFlag.TextWordWrap, describe(item.record)
        )
        return bounds.height()
