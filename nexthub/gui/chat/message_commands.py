"""What a user does to one message without changing the conversation: copy it, copy a code
block, open a link, show its details; and which actions the action bar offers for it.

Regenerating, editing and switching versions change the conversation: the
panel does those (:mod:`nexthub.gui.chat_panel`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from nexthub.gui.chat.markdown_html import RenderedMarkdown
from nexthub.gui.chat.message_actions import RowActions
from nexthub.gui.chat.message_document import Link, MessageDocument
from nexthub.gui.chat.message_list import MessageListView
from nexthub.gui.chat.message_model import MessageListModel

#: Link schemes a click opens (in the user's browser or mail program); others do nothing.
OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})


class MessageCommands(QObject):
    """Copy, Copy code, links and Details for the rows of one view."""

    def __init__(
        self, model: MessageListModel, view: MessageListView, idle: Callable[[], bool]
    ) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._idle = idle
        bar = view.actions_bar
        view.active_row_changed.connect(self.offer)
        view.link_activated.connect(self.open_link)
        view.copy_requested.connect(self.copy_message)
        bar.copy_requested.connect(self.copy_message)
        bar.copy_code_requested.connect(self.copy_code)
        bar.details_toggled.connect(self.toggle_details)

    def offer(self, row: int) -> None:
        """Configure the action bar for ``row`` (-1: nothing to configure)."""
        if not 0 <= row < self._model.count():
            return
        item = self._model.message(row)
        saved = item.record is not None and not item.streaming
        idle = self._idle()
        last = row == self._model.count() - 1
        document: MessageDocument | RenderedMarkdown | None = item.document or item.rendered
        self._view.actions_bar.show_actions(
            RowActions(
                row=row,
                version=item.version,
                versions=item.versions,
                can_edit=idle and saved and item.role == "user",
                can_regenerate=idle and saved and last,
                can_switch_version=idle and saved,
                code_blocks=len(document.code_blocks) if document is not None else 0,
                has_details=item.role == "assistant" and saved,
                details_shown=item.show_details,
            )
        )
        self._view.place_actions()

    def copy_message(self, row: int) -> None:
        """The message's text (its markdown) to the clipboard."""
        if 0 <= row < self._model.count():
            QGuiApplication.clipboard().setText(self._model.message(row).content)

    def copy_code(self, row: int, number: int) -> None:
        """A code block's text to the clipboard."""
        if not 0 <= row < self._model.count():
            return
        item = self._model.message(row)
        blocks = item.document.code_blocks if item.document else ()
        if not blocks and item.rendered is not None:
            blocks = item.rendered.code_blocks
        if 0 <= number < len(blocks):
            QGuiApplication.clipboard().setText(blocks[number])

    def toggle_details(self, row: int) -> None:
        """Show or hide the message's tokens, speed and model under it."""
        if 0 <= row < self._model.count():
            item = self._model.message(row)
            item.show_details = not item.show_details
            self._view.refresh_rows([row])
            self.offer(row)

    def open_link(self, link: Link) -> None:
        """A click on a link: a code block's Copy link copies; a web link opens in the browser."""
        if link.code is not None:
            QGuiApplication.clipboard().setText(link.code)
        elif link.url is not None and QUrl(link.url).scheme().lower() in OPENABLE_SCHEMES:
            QDesktopServices.openUrl(QUrl(link.url))
