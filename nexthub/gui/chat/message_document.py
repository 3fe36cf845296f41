"""What one message shows: its laid-out rich text, built once and kept.

Each message has its own QTextDocument, laid out at the list's width, so
painting a message or scrolling past it costs a draw of what is visible, and
a new token relayouts only the message it belongs to. A streaming answer may
be made of several documents stacked: parts that are final (see
:mod:`~nexthub.gui.chat.markdown_split`) and the live part that is still being
re-rendered; a finished message has one.

Documents are Qt objects: they live and are used on the main thread only.
The HTML they are given was rendered on a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QFont,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)

from nexthub.gui.chat.markdown_html import COPY_LINK, RenderedMarkdown

#: Spacing Qt's defaults make too generous for a chat (paragraphs get 12 px above and below).
STYLE_SHEET = """
p, ul, ol, blockquote, h1, h2, h3, h4, h5, h6 { margin-top: 4px; margin-bottom: 4px; }
li { margin-top: 1px; margin-bottom: 1px; }
pre { margin-top: 0px; margin-bottom: 0px; }
"""


class SafeTextDocument(QTextDocument):
    """A QTextDocument that never loads a resource (an image from a path, say).

    The renderer already turns images into links; this is the second lock on
    the same door, because a document could otherwise read files from disk
    on the main thread.
    """

    def loadResource(self, type: int, name: object) -> object:  # noqa: N802
        """Nothing: answers are untrusted and the main thread does not read files."""
        return None


@dataclass(frozen=True)
class Link:
    """What a click in a message's text hits: a web link, or a code block's Copy link."""

    url: str | None = None
    #: The code block's text, for a Copy link.
    code: str | None = None


@dataclass(eq=False)
class _Part:
    document: QTextDocument
    code_blocks: tuple[str, ...] = ()
    #: A cursor kept at the end for appending streamed text (live part only).
    cursor: QTextCursor | None = None
    text_format: QTextCharFormat = field(default_factory=QTextCharFormat)


class MessageDocument:
    """One message's rich text: parts stacked vertically, all laid out at one width."""

    def __init__(self, font: QFont, width: float) -> None:
        self._font = font
        self._width = width
        self._parts: list[_Part] = [self._new_part()]

    @property
    def width(self) -> float:
        """The width the text is laid out at."""
        return self._width

    @property
    def code_blocks(self) -> tuple[str, ...]:
        """The text of every code block, in order."""
        return tuple(code for part in self._parts for code in part.code_blocks)

    @property
    def parts(self) -> tuple[QTextDocument, ...]:
        """The documents the message is made of, top to bottom (one once it is finished)."""
        return tuple(part.document for part in self._parts)

    def set_width(self, width: float) -> None:
        """Lay the text out at ``width`` (costs a relayout: about 1 ms a kilobyte)."""
        if width != self._width:
            self._width = width
            for part in self._parts:
                part.document.setTextWidth(width)

    def height(self) -> float:
        """The laid-out height of all parts."""
        return sum(part.document.size().height() for part in self._parts)

    def tail_rect(self) -> QRectF:
        """Where the last paragraph is (relative to the text's top-left): text is appended there."""
        top = sum(part.document.size().height() for part in self._parts[:-1])
        live = self._parts[-1].document
        return live.documentLayout().blockBoundingRect(live.lastBlock()).translated(0, top)

    def plain_text(self) -> str:
        """The text as shown, without formatting."""
        return "\n".join(part.document.toPlainText() for part in self._parts)

    def set_rendered(self, rendered: RenderedMarkdown) -> None:
        """Show a whole message (one part)."""
        part = self._new_part()
        part.document.setHtml(rendered.html)
        part.code_blocks = rendered.code_blocks
        self._parts = [part]

    def set_plain(self, text: str) -> None:
        """Show ``text`` as it is (an answer before its first re-render)."""
        part = self._new_part()
        if text:
            self._live_cursor(part).insertText(text, part.text_format)
        self._parts = [part]

    def freeze_live(self, rendered: RenderedMarkdown) -> None:
        """The live part's text is final: show it as ``rendered``, and start a new live part."""
        live = self._parts[-1]
        live.document.setHtml(rendered.html)
        live.code_blocks = rendered.code_blocks
        live.cursor = None
        self._parts.append(self._new_part())

    def set_live(self, rendered: RenderedMarkdown) -> None:
        """Replace the live part's content with a fresh rendering of its text."""
        live = self._parts[-1]
        live.document.setHtml(rendered.html)
        live.code_blocks = rendered.code_blocks
        live.cursor = None

    def append_plain(self, text: str) -> None:
        """Add streamed text at the end, unformatted until the next re-render."""
        live = self._parts[-1]
        self._live_cursor(live).insertText(text, live.text_format)

    def draw(self, painter: QPainter, palette: QPalette, origin: QPointF, clip: QRectF) -> None:
        """Paint the parts with their top-left corner at ``origin``, only within ``clip``."""
        top = origin.y()
        for part in self._parts:
            height = part.document.size().height()
            if top + height >= clip.top() and top <= clip.bottom():
                context = QAbstractTextDocumentLayout.PaintContext()
                context.palette = palette
                context.clip = clip.translated(-origin.x(), -top)
                painter.save()
                painter.translate(origin.x(), top)
                part.document.documentLayout().draw(painter, context)
                painter.restore()
            top += height
            if top > clip.bottom():
                break

    def link_at(self, point: QPointF) -> Link | None:
        """The link under ``point`` (relative to the text's top-left corner), if any."""
        top = 0.0
        for part in self._parts:
            height = part.document.size().height()
            if top <= point.y() < top + height:
                href = part.document.documentLayout().anchorAt(QPointF(point.x(), point.y() - top))
                if not href.startswith(COPY_LINK):
                    return Link(url=href) if href else None
                number = href.removeprefix(COPY_LINK)
                if number.isdigit() and int(number) < len(part.code_blocks):
                    return Link(code=part.code_blocks[int(number)])
                return None
            top += height
        return None

    def _new_part(self) -> _Part:
        document = SafeTextDocument()
        document.setUndoRedoEnabled(False)
        document.setDocumentMargin(2)
        document.setDefaultFont(self._font)
        document.setDefaultStyleSheet(STYLE_SHEET)
        document.setTextWidth(self._width)
        return _Part(document)

    def _live_cursor(self, part: _Part) -> QTextCursor:
        if part.cursor is None:
            part.cursor = QTextCursor(part.document)
            part.cursor.movePosition(QTextCursor.MoveOperation.End)
        return part.cursor
