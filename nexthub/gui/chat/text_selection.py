"""A message's text in a window of its own, where part of it can be selected and copied.

Messages are painted by a delegate from one QTextDocument each, so the list
has no text cursor: a drag over a message cannot select part of it, and
Copy takes the whole message. For the part a user wants ("just this
command", "just that sentence"), "Select text" (or a double-click on the
message) opens the message as it is shown, in a read-only text box where the
mouse and the keyboard select as anywhere else, and Ctrl+C or Copy takes the
selection. The text is the same rendered HTML in a document that never loads
anything (:class:`~nexthub.gui.chat.message_document.SafeTextDocument`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextEdit, QVBoxLayout, QWidget

from nexthub.gui.chat.markdown_html import RenderedMarkdown
from nexthub.gui.chat.message_document import SafeTextDocument


class MessageTextDialog(QDialog):
    """One message, read-only and selectable; Copy takes the selection (or all of it)."""

    def __init__(
        self, title: str, rendered: RenderedMarkdown, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(640, 480)
        self.text = QTextEdit(self)
        self.text.setAccessibleName("Message text")
        self.text.setAccessibleDescription("Select part of the message, then copy it (Ctrl+C).")
        self.text.setDocument(SafeTextDocument(self.text))
        self.text.setHtml(rendered.html)
        self.text.setReadOnly(True)
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setAccessibleName("Copy the selected text")
        self.copy_button.setToolTip("Copy what is selected, or the whole text if nothing is")
        buttons.rejected.connect(self.close)
        self.copy_button.clicked.connect(self.copy)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.text.setFocus()

    def copy(self) -> None:
        """Copy the selection as plain text (all the text when nothing is selected)."""
        cursor = self.text.textCursor()
        selected = cursor.selection().toPlainText() if cursor.hasSelection() else None
        QGuiApplication.clipboard().setText(
            selected if selected is not None else self.text.toPlainText()
        )
