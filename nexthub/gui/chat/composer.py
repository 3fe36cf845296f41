"""Where the user writes: Enter sends, Shift+Enter starts a new line; Send turns into Stop.

When the user edits a message they sent, the composer holds its text and
says so above the box, with a button to cancel; sending then sends the
edited version (a new branch) instead of a new message.

A GGUF model file dropped on the box is not text to insert: the box hands it
on (:attr:`Composer.models_dropped`) for the window to import, as a drop
anywhere else on the window is; other drops are the text box's own.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.dropped_models import model_files

#: Lines the box shows before it scrolls.
MAX_LINES = 8


class MessageBox(QPlainTextEdit):
    """The text box: Enter submits, Shift+Enter (and Ctrl+Enter) insert a newline."""

    #: Enter was pressed: no payload (the composer reads the text).
    submitted = Signal()
    #: Esc was pressed (and no window shortcut took it first).
    escape_pressed = Signal()
    #: GGUF model files were dropped on the box: their paths (a list of Path).
    models_dropped = Signal(list)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        """Take model files for importing; anything else is the text box's."""
        if model_files(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        """Model files: no text cursor follows the pointer (they are not inserted)."""
        if model_files(event.mimeData()):
            event.acceptProposedAction()
            return
        super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        """Model files go to the window to be imported; other drops insert text as usual."""
        files = model_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.models_dropped.emit(files)
            return
        super().dropEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Enter sends unless a modifier asks for a new line."""
        newline_modifiers = (
            Qt.KeyboardModifier.ShiftModifier
            | Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
        )
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if event.modifiers() & newline_modifiers:
                self.insertPlainText("\n")
            else:
                self.submitted.emit()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """The message box with its Send and Stop buttons, and the editing banner."""

    #: The user sent the text in the box: the text (never blank).
    send_requested = Signal(str)
    #: The user asked to stop the answer being written.
    stop_requested = Signal()
    #: The user gave up editing a sent message.
    edit_cancelled = Signal()
    #: Esc in the message box: no payload.
    escape_pressed = Signal()
    #: GGUF model files were dropped on the message box: their paths (the window imports them).
    models_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._answering = False
        self._editing = False
        self.editing_label = QLabel("Editing your message: sending it starts a new branch.", self)
        self.editing_label.setAccessibleName("Editing a sent message")
        self.cancel_edit_button = QToolButton(self)
        self.cancel_edit_button.setText("Cancel editing")
        self.cancel_edit_button.setAccessibleName("Cancel editing")
        self.box = MessageBox(self)
        self.box.setAccessibleName("Message")
        self.box.setAccessibleDescription("Enter sends; Shift+Enter starts a new line.")
        self.box.setPlaceholderText("Write a message… (Enter sends, Shift+Enter for a new line)")
        self.box.setTabChangesFocus(True)
        self._fit_box()
        self.send_button = QPushButton("Send", self)
        self.send_button.setAccessibleName("Send message")
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setAccessibleName("Stop the answer")
        self.stop_button.setToolTip("Stop the answer (Esc); what was written is kept")
        self.stop_button.hide()

        banner = QHBoxLayout()
        banner.addWidget(self.editing_label, 1)
        banner.addWidget(self.cancel_edit_button)
        row = QHBoxLayout()
        row.addWidget(self.box, 1)
        row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        row.addWidget(self.stop_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.addLayout(banner)
        layout.addLayout(row)
        self._show_banner(False)

        self.box.textChanged.connect(self._fit_box)
        self.box.submitted.connect(self._submit)
        self.box.escape_pressed.connect(self.escape_pressed.emit)
        self.box.models_dropped.connect(self.models_dropped.emit)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.cancel_edit_button.clicked.connect(self.cancel_edit)

    @property
    def editing(self) -> bool:
        """Whether the box holds a sent message being edited."""
        return self._editing

    def text(self) -> str:
        """What is in the box."""
        return self.box.toPlainText()

    def set_answering(self, answering: bool) -> None:
        """While an answer is written, Send becomes Stop (typing the next message is fine)."""
        self._answering = answering
        self.send_button.setVisible(not answering)
        self.stop_button.setVisible(answering)

    def begin_edit(self, text: str) -> None:
        """Put a sent message in the box for editing."""
        self._editing = True
        self._show_banner(True)
        self.box.setPlainText(text)
        self.box.moveCursor(self.box.textCursor().MoveOperation.End)
        self.box.setFocus()

    def cancel_edit(self) -> None:
        """Leave editing; the box is emptied."""
        if self._editing:
            self.end_edit()
            self.box.clear()
            self.edit_cancelled.emit()

    def end_edit(self) -> None:
        """Editing is over (the edit was sent, or another chat was opened)."""
        self._editing = False
        self._show_banner(False)

    def _fit_box(self) -> None:
        """The box grows with its text, from two lines to MAX_LINES; then it scrolls."""
        lines = int(self.box.document().size().height())  # a plain text layout counts lines
        shown = min(MAX_LINES, max(2, lines))
        margins = self.box.contentsMargins()
        frame = 2 * self.box.document().documentMargin() + margins.top() + margins.bottom()
        self.box.setFixedHeight(int(shown * self.box.fontMetrics().lineSpacing() + frame + 2))

    def _show_banner(self, shown: bool) -> None:
        self.editing_label.setVisible(shown)
        self.cancel_edit_button.setVisible(shown)

    def _submit(self) -> None:
        text = self.text()
        if self._answering or not text.strip():
            return
        self.send_requested.emit(text)
