"""What a user does to one message without changing the conversation: copy it, copy a code
block, select part of its text, open a link, show its details; and which actions the action
bar offers for it.

Regenerating, editing and switching versions change the conversation: the
panel does those (:mod:`nexthub.gui.chat_panel`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication

from nexthub.gui.chat.details import speaker
from nexthub.gui.chat.markdown_html import CodeTheme, RenderedMarkdown, render_markdown
from nexthub.gui.chat.message_actions import RowActions
from nexthub.gui.chat.message_document import Link, MessageDocument
from nexthub.gui.chat.message_list import MessageListView
from nexthub.gui.chat.message_model import MessageListModel
from nexthub.gui.chat.text_selection import MessageTextDialog

#: Link schemes a click opens (in the user's browser or mail program); others do nothing.
OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})


class MessageCommands(QObject):
    """Copy, Copy code, Select text, links and Details for the rows of one view."""

    def __init__(
        self,
        model: MessageListModel,
        view: MessageListView,
        idle: Callable[[], bool],
        theme: Callable[[], CodeTheme],
    ) -> None:
        super().__init__(view)
        self._model = model
        self._view = view
        self._idle = idle
        self._theme = theme
        #: The last "Select text" window opened (None before the first).
        self.text_dialog: MessageTextDialog | None = None
        bar = view.actions_bar
        view.active_row_changed.connect(self.offer)
        view.link_activated.connect(self.open_link)
        view.copy_requested.connect(self.copy_message)
        bar.copy_requested.connect(self.copy_message)
        bar.copy_code_requested.connect(self.copy_code)
        bar.details_toggled.connect(self.toggle_details)
        bar.select_text_requested.connect(self.select_text)
        view.doubleClicked.connect(self._double_clicked)

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

    def select_text(self, row: int) -> None:
        """Open the message's text where part of it can be selected and copied."""
        if not 0 <= row < self._model.count():
            return
        item = self._model.message(row)
        rendered = item.rendered or render_markdown(item.content, self._theme())
        title = f"Select text: {speaker(item.role, item.record)}"
        if self.text_dialog is not None:
            self.text_dialog.close()
            self.text_dialog.deleteLater()
        self.text_dialog = MessageTextDialog(title, rendered, self._view.window())
        self.text_dialog.show()

    def _double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.select_text(index.row())

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
