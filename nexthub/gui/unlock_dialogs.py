"""The two dialogs between the welcome and the window: the passphrase, and a key that fails.

:class:`UnlockDialog` asks for the passphrase of a passphrase-protected key.
A wrong one is said plainly and the user types again: unlocking only reads,
so nothing on disk changes however often they try.

:class:`KeyProblemDialog` shows an error that typing cannot fix (the key file
is missing or damaged, the keyring entry is gone, the database cannot be
read): the store's own message, which says what happened and how to recover,
with Try again (after restoring a file, or unlocking the keyring) and Quit.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.theme import app_icon


def _heading(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    font = QFont(label.font())
    font.setPointSizeF(font.pointSizeF() * 1.3)
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setStyleSheet("color: #c62828;")
    label.setAccessibleName("Problem")
    label.hide()
    return label


class UnlockDialog(QDialog):
    """Asks for the passphrase; :attr:`passphrase_entered` hands it to the startup controller."""

    #: The user clicked Unlock: the passphrase typed.
    passphrase_entered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Unlock NextHub")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("Unlock NextHub")
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(_heading("Your chats are locked", self))
        explanation = QLabel(
            "Your chats are encrypted on this computer with a passphrase. Enter it to open them.",
            self,
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.setAccessibleName("Passphrase")
        self.passphrase.setMinimumWidth(420)  # the dialog's width: wrapped text follows it
        self.passphrase.textChanged.connect(self._typed)
        self.passphrase.returnPressed.connect(self._unlock)
        layout.addWidget(self.passphrase)
        self.error = _error_label(self)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.unlock_button = QPushButton("Unlock", self)
        self.unlock_button.setAccessibleName("Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.setEnabled(False)
        self.quit_button = QPushButton("Quit", self)
        self.quit_button.setAccessibleName("Quit")
        buttons.addButton(self.unlock_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.unlock_button.clicked.connect(self._unlock)
        self.quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._busy = False

    def set_busy(self, busy: bool) -> None:
        """While the passphrase is checked (about half a second): no second click."""
        self._busy = busy
        self.passphrase.setEnabled(not busy)
        self.unlock_button.setEnabled(not busy and bool(self.passphrase.text()))
        self.unlock_button.setText("Unlocking…" if busy else "Unlock")

    def show_error(self, message: str) -> None:
        """A wrong passphrase: say so, empty the box, and let the user type again."""
        self.passphrase.clear()
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()
        self.adjustSize()
        self.passphrase.setFocus()

    @Slot(str)
    def _typed(self, text: str) -> None:
        self.unlock_button.setEnabled(bool(text) and not self._busy)

    @Slot()
    def _unlock(self) -> None:
        text = self.passphrase.text()
        if not text or self._busy:
            return
        self.set_busy(True)
        self.passphrase_entered.emit(text)


class KeyProblemDialog(QDialog):
    """An error that stops the chats from opening, with Try again and Quit."""

    #: The user clicked Try again.
    retry = Signal()

    def __init__(self, message: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("NextHub cannot open your chats")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("NextHub cannot open your chats")
        layout = QVBoxLayout(self)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addWidget(_heading("NextHub cannot open your chats", self))
        self.message = QLabel(message, self)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName("What went wrong")
        self.message.setMinimumWidth(520)
        layout.addWidget(self.message)
        buttons = QDialogButtonBox(self)
        self.retry_button = QPushButton("Try again", self)
        self.retry_button.setAccessibleName("Try again")
        self.quit_button = QPushButton("Quit", self)
        self.quit_button.setAccessibleName("Quit")
        self.quit_button.setDefault(True)
        buttons.addButton(self.retry_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.retry_button.clicked.connect(self._retry)
        self.quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)

    @Slot()
    def _retry(self) -> None:
        self.retry.emit()
