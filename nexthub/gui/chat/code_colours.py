"""Code colours that follow the theme: messages already shown are restyled on a switch.

A message's code colours are baked into its rendered HTML (pygments spans,
the block's background), chosen from the palette when it was rendered. When
the user switches between light and dark, the messages on screen would keep
the old colours: dark text on a dark block, or the reverse. So on a palette
change the messages whose markdown can hold code are rendered again with the
new colours, on a worker thread as when a conversation opens, and their
documents take the new HTML when it arrives (the old one stays until then,
so nothing blanks or stalls). An answer still being written keeps its colours
until it ends; the panel reads it back then (see ``ChatPanel``).
"""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject

from nexthub.gui.chat.branch_reader import render_in_batches
from nexthub.gui.chat.markdown_html import CodeTheme, RenderedMarkdown
from nexthub.gui.chat.message_list import MessageListView
from nexthub.gui.chat.message_model import MessageListModel
from nexthub.gui.tasks import TaskRunner

#: What only markdown with code has: a fence or inline code, or an indented block.
_CODE_MARKS = ("`", "~~~", "\n    ", "\n\t")


def may_hold_code(text: str) -> bool:
    """Whether ``text`` can render with code colours (cheap, and never misses one)."""
    return text.startswith(("    ", "\t")) or any(mark in text for mark in _CODE_MARKS)


class CodeColours(QObject):
    """Keeps the code colours of a view's messages in step with the palette."""

    def __init__(
        self,
        model: MessageListModel,
        view: MessageListView,
        tasks: TaskRunner,
        theme: Callable[[], CodeTheme],
    ) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._tasks = tasks.owned_by(self)
        self._theme = theme
        self._shown = theme()
        #: Counts restyles: a newer one makes the batches of an older one stale.
        self._round = 0

    @property
    def shown(self) -> CodeTheme:
        """The colours messages are rendered with now."""
        return self._shown

    def follow_palette(self) -> None:
        """The palette changed: render again, off the main thread, what shows code colours."""
        theme = self._theme()
        if theme == self._shown:
            return
        self._shown = theme
        self._round += 1
        current = self._round
        stale = [
            (item.message_id, item.content)
            for item in self._model.messages()
            if item.message_id is not None and not item.streaming and may_hold_code(item.content)
        ]
        if not stale:
            return
        tasks = self._tasks

        def deliver(batch: list[tuple[str, RenderedMarkdown]]) -> None:
            tasks.call_on_main_thread(lambda: self._restyled(current, batch))

        tasks.run(lambda: render_in_batches(stale, theme, deliver, lambda: current != self._round))

    def _restyled(self, current: int, batch: list[tuple[str, RenderedMarkdown]]) -> None:
        """Main thread: give the rows their new HTML (rows shown since are already new)."""
        if not shiboken6.isValid(self) or current != self._round:
            return
        rows = []
        for message_id, rendered in batch:
            row = self._model.row_of(message_id)
            if row is None:
                continue
            item = self._model.message(row)
            if item.streaming:
                continue
            item.rendered = rendered
            if item.document is not None:
                item.document.set_rendered(rendered)
            rows.append(row)
        self._view.refresh_rows(rows)
