"""The first-run welcome: what stays on this computer, and how the chats' key is kept.

It says plainly what stays local, asks about anonymous usage totals
(:class:`~nexthub.gui.telemetry_choice.TelemetryChoice`: equal-weight Yes and
No, and a Preview of the exact report), then (on a real first run, when there is no
key yet) asks how the database key is protected: the system keyring where
there is one (the default), else a passphrase typed twice; a key file only
when the user picks it, with its weakness spelled out. The choice is checked
by the service (:func:`~nexthub.service.key_protection.check_new_passphrase`)
and handed on with :attr:`WelcomeDialog.chosen` (the telemetry answer is
:meth:`WelcomeDialog.telemetry_answer`); the startup controller does
the work off the main thread and reports back with :meth:`show_error` or by
closing the dialog.

A user who already has chats (from the terminal) but has never opened the app
sees the same welcome without the key part.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from nexthub.errors import NextHubError
from nexthub.gui.telemetry_choice import TelemetryChoice
from nexthub.gui.theme import app_icon
from nexthub.service.key_protection import KEY_FILE_WARNING, check_new_passphrase
from nexthub.service.store_opening import KeyProtection

WHAT_STAYS_LOCAL = (
    "NextHub runs AI language models on this computer. What you type, the answers, and the "
    "models you load stay here:"
)
LOCAL_POINTS = (
    "Your chats are saved only on this computer, in an encrypted file.",
    "Models run on this computer's own processor or graphics card.",
    "Nothing is sent anywhere unless you ask for it, such as downloading a model.",
)
KEYRING_TEXT = "Your login keyring keeps the key, so there is nothing to type."
NO_KEYRING_TEXT = "Not available: this computer has no system keyring."
TYPED_KEY_TEXT = (
    "You type it each time NextHub opens. If you forget it, your chats cannot be recovered."
)
KEY_FILE_TEXT = "No typing, but anyone who can read your files can read your chats."


def _small(text: str, parent: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setIndent(24)
    label.setAccessibleName(text)
    return label


class WelcomeDialog(QDialog):
    """The welcome, with the key choice on a first run (see the module docstring)."""

    #: The user clicked Start: the protection (None when there is no key to set up) and
    #: the new passphrase (None unless the protection is a passphrase).
    chosen = Signal(object, object)

    def __init__(
        self,
        *,
        key_setup: bool,
        keyring_available: bool,
        telemetry_sample: bytes,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to NextHub")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("Welcome to NextHub")
        self._key_setup = key_setup
        self._keyring_available = keyring_available
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.addLayout(self._heading())
        intro = QLabel(WHAT_STAYS_LOCAL, self)
        intro.setWordWrap(True)
        intro.setAccessibleName("What stays on this computer")
        intro.setMinimumWidth(540)  # the dialog's width: wrapped text follows it
        layout.addWidget(intro)
        points = QLabel("\n".join(f"•  {point}" for point in LOCAL_POINTS), self)
        points.setWordWrap(True)
        points.setTextFormat(Qt.TextFormat.PlainText)
        points.setAccessibleName(" ".join(LOCAL_POINTS))
        layout.addWidget(points)
        self.telemetry = TelemetryChoice(telemetry_sample, self)
        layout.addWidget(self.telemetry)
        if key_setup:
            layout.addWidget(self._key_box())
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #c62828;")
        self.error.setAccessibleName("Problem")
        self.error.hide()
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(self)
        self.start_button = QPushButton("Start NextHub" if key_setup else "Continue", self)
        self.start_button.setAccessibleName(self.start_button.text())
        self.start_button.setDefault(True)
        self.quit_button = QPushButton("Quit", self)
        self.quit_button.setAccessibleName("Quit")
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.quit_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.start_button.clicked.connect(self._start)
        self.quit_button.clicked.connect(self.reject)
        layout.addWidget(buttons)
        self._protection_changed()

    # -- Parts -----------------------------------------------------------------------------

    def _heading(self) -> QHBoxLayout:
        title = QLabel("Welcome to NextHub", self)
        font = QFont(title.font())
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        title.setFont(font)
        title.setAccessibleName("Welcome to NextHub")
        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(48, 48))
        icon.setAccessibleName("NextHub")
        heading = QHBoxLayout()
        heading.addWidget(icon)
        heading.addWidget(title, 1)
        return heading

    def _key_box(self) -> QGroupBox:
        box = QGroupBox("Protect your chats", self)
        box.setAccessibleName("Protect your chats")
        column = QVBoxLayout(box)
        intro = QLabel(
            "Your chats are encrypted with a key made on this computer. Choose how that key "
            "is kept:",
            box,
        )
        intro.setWordWrap(True)
        column.addWidget(intro)
        self.group = QButtonGroup(self)
        self.keyring_choice = QRadioButton(
            "System keyring (recommended)" if self._keyring_available else "System keyring", box
        )
        self.passphrase_choice = QRadioButton(
            "Passphrase" if self._keyring_available else "Passphrase (recommended)", box
        )
        self.key_file_choice = QRadioButton("Key file (weaker)", box)
        self.passphrase = QLineEdit(box)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("Passphrase")
        self.passphrase.setAccessibleName("New passphrase")
        self.again = QLineEdit(box)
        self.again.setEchoMode(QLineEdit.EchoMode.Password)
        self.again.setPlaceholderText("The same passphrase again")
        self.again.setAccessibleName("The same passphrase again")
        self.key_file_warning = _small(KEY_FILE_WARNING, box)
        self.key_file_warning.setStyleSheet("color: #b45309;")
        for choice, description in (
            (self.keyring_choice, KEYRING_TEXT if self._keyring_available else NO_KEYRING_TEXT),
            (self.passphrase_choice, TYPED_KEY_TEXT),
            (self.key_file_choice, KEY_FILE_TEXT),
        ):
            choice.setAccessibleName(choice.text())
            choice.setAccessibleDescription(description)
            self.group.addButton(choice)
            column.addWidget(choice)
            column.addWidget(_small(description, box))
            if choice is self.passphrase_choice:
                column.addWidget(self.passphrase)
                column.addWidget(self.again)
            if choice is self.key_file_choice:
                column.addWidget(self.key_file_warning)
        self.keyring_choice.setEnabled(self._keyring_available)
        default = self.keyring_choice if self._keyring_available else self.passphrase_choice
        default.setChecked(True)
        self.group.buttonToggled.connect(self._protection_changed)
        return box

    # -- State -----------------------------------------------------------------------------

    def protection(self) -> KeyProtection | None:
        """The protection chosen (None when this welcome sets up no key)."""
        if not self._key_setup:
            return None
        if self.keyring_choice.isChecked():
            return KeyProtection.KEYRING
        if self.key_file_choice.isChecked():
            return KeyProtection.KEY_FILE
        return KeyProtection.PASSPHRASE

    def telemetry_answer(self) -> bool:
        """Whether the user said yes to anonymous usage totals."""
        return self.telemetry.answer()

    def set_busy(self, busy: bool) -> None:
        """While the key is being made: no second click, and say what is happening."""
        self.start_button.setEnabled(not busy)
        self.start_button.setText(
            "Setting up…" if busy else ("Start NextHub" if self._key_setup else "Continue")
        )
        if busy:
            self.error.hide()

    def show_error(self, message: str) -> None:
        """Say what went wrong; the user can change the choice and try again."""
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()
        self.adjustSize()

    @Slot()
    def _protection_changed(self) -> None:
        if not self._key_setup:
            return
        passphrase = self.protection() is KeyProtection.PASSPHRASE
        self.passphrase.setVisible(passphrase)
        self.again.setVisible(passphrase)
        self.key_file_warning.setVisible(self.protection() is KeyProtection.KEY_FILE)
        self.error.hide()
        self.adjustSize()

    @Slot()
    def _start(self) -> None:
        protection = self.protection()
        passphrase: str | None = None
        if protection is KeyProtection.PASSPHRASE:
            try:
                passphrase = check_new_passphrase(self.passphrase.text(), self.again.text())
            except NextHubError as problem:
                self.show_error(str(problem))
                self.again.clear()
                self.again.setFocus()
                return
        self.set_busy(True)
        self.chosen.emit(protection, passphrase)
