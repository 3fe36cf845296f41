"""The error banner: a problem, said plainly, above the chat; the window stays usable.

Errors that reach the window (a model that fails to load, a crash of the
worker, a locked database, a full disk, or a ``problem`` from the chat view)
are shown here instead of in a modal dialog, so nothing blocks: the user reads
it, optionally clicks its action ("Try again"), and closes it, or just carries
on. A new problem replaces the one shown; the text is plain (never rich
text: a message may hold a path with ``<`` in it).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget


class ErrorBanner(QFrame):
    """A dismissible strip with one message and an optional action."""

    #: The banner was closed by the user.
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setAccessibleName("Problem")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            "#errorBanner { background: #fde7e9; border: 1px solid #e5a4ab; border-radius: 6px; }"
            "#errorBanner QLabel { color: #6b1019; }"
        )
        self._message = QLabel(self)
        self._message.setTextFormat(Qt.TextFormat.PlainText)
        self._message.setWordWrap(True)
        self._message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._message.setAccessibleName("Problem message")
        self._action = QPushButton(self)
        self._action.hide()
        self._action.clicked.connect(self._run_action)
        self._close = QToolButton(self)
        self._close.setText("✕")
        self._close.setToolTip("Close this message")
        self._close.setAccessibleName("Close the problem message")
        self._close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 8, 8)
        layout.addWidget(self._message, 1)
        layout.addWidget(self._action, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self._close, 0, Qt.AlignmentFlag.AlignTop)
        self._callback: Callable[[], None] | None = None
        self.hide()

    def message(self) -> str:
        """The message shown ("" when the banner is hidden)."""
        return self._message.text() if not self.isHidden() else ""

    def show_problem(
        self,
        text: str,
        *,
        action: str | None = None,
        on_action: Callable[[], None] | None = None,
    ) -> None:
        """Show ``text`` (replacing what is shown); ``action`` labels a button for ``on_action``."""
        self._message.setText(text)
        self.setAccessibleDescription(text)
        self._callback = on_action
        if action and on_action:
            self._action.setText(action)
            self._action.setAccessibleName(action)
            self._action.show()
        else:
            self._action.hide()
        self.show()

    @Slot()
    def dismiss(self) -> None:
        """Hide the banner."""
        self.hide()
        self._callback = None
        self.dismissed.emit()

    @Slot()
    def _run_action(self) -> None:
        callback = self._callback
        self.dismiss()
        if callback is not None:
            callback()
