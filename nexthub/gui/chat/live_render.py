"""The answer being written: plain text at once, markdown a few times a second.

Text that arrives is appended to the message's document as plain text (cheap:
the document relayouts only its last lines). At most every
:data:`RENDER_INTERVAL_MS` the markdown is rendered again on a worker thread
and the result replaces the plain text. Only the live tail is re-rendered:
once the tail is longer than :data:`FREEZE_AFTER` characters, the part before
its last safe cut (:func:`~nexthub.gui.chat.markdown_split.stable_cut`) is
frozen into its own document and never rendered again, so the cost of a
re-render does not grow with the answer.

When the answer ends, the tail is rendered one last time and the document is
final: the parts render as the whole answer would (see
:mod:`~nexthub.gui.chat.markdown_split`), so the finished message keeps the
document it was streamed into instead of being laid out again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer

from nexthub.gui.chat.markdown_html import CodeTheme, RenderedMarkdown, render_markdown
from nexthub.gui.chat.markdown_split import stable_cut
from nexthub.gui.chat.message_document import MessageDocument
from nexthub.gui.tasks import TaskRunner

#: Least time between two markdown renders of the answer being written.
RENDER_INTERVAL_MS = 250
#: A live tail longer than this is frozen at its last safe cut.
FREEZE_AFTER = 2_000


@dataclass(frozen=True)
class _Render:
    """A worker thread's rendering of ``text[start:end]``, cut at ``cut``."""

    start: int
    cut: int
    end: int
    frozen: RenderedMarkdown | None
    live: RenderedMarkdown


def _render(text: str, start: int, theme: CodeTheme) -> _Render:
    """Worker thread: render the text after ``start``, freezing what is final."""
    cut = stable_cut(text, start, FREEZE_AFTER)
    frozen = render_markdown(text[start:cut], theme) if cut > start else None
    return _Render(start, cut, len(text), frozen, render_markdown(text[cut:], theme))


class LiveAnswer(QObject):
    """Keeps one streaming message's document up to date (main thread)."""

    def __init__(
        self,
        document: MessageDocument,
        tasks: TaskRunner,
        theme: CodeTheme,
        on_changed: Callable[[str, bool], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._document = document
        self._tasks = tasks.owned_by(self)
        self._theme = theme
        self._on_changed = on_changed
        self._pieces: list[str] = []
        self._length = 0
        self._frozen_upto = 0
        self._rendered_upto = 0
        self._rendering = False
        self._closed = False
        self._on_finished: Callable[[], None] | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(RENDER_INTERVAL_MS)
        self._timer.timeout.connect(self._render_if_needed)
        self._timer.start()
        #: Markdown renders applied (tests and the benchmark read it).
        self.renders = 0

    @property
    def theme(self) -> CodeTheme:
        """The code colours it renders with (a theme switch meanwhile makes them stale)."""
        return self._theme

    @property
    def document(self) -> MessageDocument:
        """The document being written into."""
        return self._document

    @property
    def text(self) -> str:
        """Everything that arrived so far."""
        return "".join(self._pieces)

    def append(self, text: str) -> None:
        """Show newly arrived text at once, as plain text."""
        if self._closed or not text:
            return
        self._pieces.append(text)
        self._length += len(text)
        self._document.append_plain(text)
        self._on_changed(self.text, False)

    def close(self) -> None:
        """Stop: no more renders (the answer was left for another conversation)."""
        self._closed = True
        self._timer.stop()

    def finish(self, on_finished: Callable[[], None]) -> None:
        """The answer ended: render what is left, then call ``on_finished`` (main thread)."""
        self._timer.stop()
        self._on_finished = on_finished
        if not self._rendering:
            self._render_if_needed()

    def _render_if_needed(self) -> None:
        if self._closed or self._rendering:
            return
        if self._length == self._rendered_upto:
            self._finish_if_asked()
            return
        self._rendering = True
        text, start, theme = self.text, self._frozen_upto, self._theme
        self._tasks.run(lambda: _render(text, start, theme), self._apply, self._failed)

    def _apply(self, result: _Render) -> None:
        self._rendering = False
        if self._closed:
            return
        if result.start == self._frozen_upto:  # always, unless a render was lost
            if result.frozen is not None:
                self._document.freeze_live(result.frozen)
                self._frozen_upto = result.cut
            self._document.set_live(result.live)
            self._rendered_upto = result.end
            late = self.text[result.end :]
            if late:
                self._document.append_plain(late)
            self.renders += 1
            self._on_changed(self.text, True)
        if self._on_finished is not None:
            self._render_if_needed()  # the text that came during this render, then done

    def _failed(self, error: BaseException) -> None:
        """A render that failed leaves the plain text; a finished answer is laid out anew."""
        self._rendering = False
        self._rendered_upto = -1  # never final: the panel renders the saved text instead
        self._finish_if_asked()

    def _finish_if_asked(self) -> None:
        if self._on_finished is not None:
            on_finished, self._on_finished = self._on_finished, None
            self._closed = True
            on_finished()

    @property
    def final(self) -> bool:
        """Whether the document shows all the text, rendered (after :meth:`finish`)."""
        return self._closed and self._rendered_upto == self._length
