"""How the chats' key is protected, on the Privacy page: change the passphrase, or switch.

The choices are the ones this machine offers (the keyring only where there is
one); the work and the words are :mod:`nexthub.service.key_protection`, the
same as ``nexthub data passphrase``. The current passphrase is asked for when
the key has one, and a new one is typed twice. A key file gets its warning
before it is chosen. The database is not re-encrypted: the same key is
wrapped again, so the change takes a moment whatever the chats' size.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QWidget

from nexthub.errors import NextHubError
from nexthub.gui.notice import Notice
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import button, secret_field, text_label
from nexthub.service.hub import Hub
from nexthub.service.key_protection import (
    KEY_FILE_WARNING,
    available_protections,
    change_protection,
    check_new_passphrase,
    describe_protection,
)
from nexthub.store.keys import KeyProtection, KeyStore

_CHOICES = {
    KeyProtection.KEYRING: "The system keyring (no typing)",
    KeyProtection.PASSPHRASE: "A passphrase (typed when NextHub opens)",
    KeyProtection.KEY_FILE: "A key file (weakest: see the warning)",
}


class KeyProtectionBox(QGroupBox):
    """Shows the key's protection and changes it."""

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("How your chats are locked", parent)
        self._tasks = tasks.owned_by(self)
        self._keys = KeyStore(hub.paths)
        self._current: KeyProtection | None = None
        self.setAccessibleName("How your chats are locked")
        self.current_label = text_label("", "Current protection", self)
        self.target = QComboBox(self)
        self.target.setAccessibleName("New protection")
        self.old_passphrase = secret_field("Current passphrase", self)
        self.new_passphrase = secret_field("New passphrase", self)
        self.new_passphrase_again = secret_field("New passphrase again", self)
        self.key_file_warning = text_label(KEY_FILE_WARNING, "Key file warning", self)
        self.change_button = button("Change", "Change how the chats are locked", self)
        self.notice = Notice("Protection message", self)

        layout = QFormLayout(self)
        layout.addRow(self.current_label)
        layout.addRow("Lock with", self.target)
        layout.addRow(self.key_file_warning)
        layout.addRow("Current passphrase", self.old_passphrase)
        layout.addRow("New passphrase", self.new_passphrase)
        layout.addRow("New passphrase again", self.new_passphrase_again)
        layout.addRow("", self.change_button)
        layout.addRow(self.notice)
        self.target.currentIndexChanged.connect(self._update)
        self.change_button.clicked.connect(self.change)
        self._update()

    def refresh(self) -> None:
        """Read the current protection and the choices (the keyring is asked: off the thread)."""
        keys = self._keys
        self._tasks.run(
            lambda: (keys.protection(), available_protections(keys)),
            self._show,
            self.notice.show_problem,
        )

    def _show(self, state: tuple[KeyProtection | None, list[KeyProtection]]) -> None:
        self._current, choices = state
        self.current_label.setText(
            f"Your chats' key is protected by {describe_protection(self._current)}."
        )
        preferred = self.chosen() or KeyProtection.PASSPHRASE
        self.target.clear()
        for protection in choices:
            self.target.addItem(_CHOICES[protection], protection.value)
        self.target.setCurrentIndex(max(0, self.target.findData(preferred.value)))
        self._update()

    def chosen(self) -> KeyProtection | None:
        """The protection chosen in the list (None before the choices are read)."""
        value = self.target.currentData()
        return KeyProtection(value) if value else None

    @Slot()
    def _update(self) -> None:
        target = self.chosen()
        self.key_file_warning.setVisible(target is KeyProtection.KEY_FILE)
        self.old_passphrase.setEnabled(self._current is KeyProtection.PASSPHRASE)
        for field in (self.new_passphrase, self.new_passphrase_again):
            field.setEnabled(target is KeyProtection.PASSPHRASE)
        self.change_button.setEnabled(target is not None)

    @Slot()
    def change(self) -> None:
        """Re-wrap the key with the chosen protection (off the main thread)."""
        self.notice.clear_message()
        target = self.chosen()
        if target is None:
            return
        new = None
        if target is KeyProtection.PASSPHRASE:
            try:
                new = check_new_passphrase(
                    self.new_passphrase.text(), self.new_passphrase_again.text()
                )
            except NextHubError as problem:
                self.notice.show_error(str(problem))
                return
        old = self.old_passphrase.text() or None
        keys = self._keys
        self.change_button.setEnabled(False)
        self._tasks.run(
            lambda: change_protection(keys, target, old_passphrase=old, new_passphrase=new),
            self._changed,
            self._failed,
        )

    def _changed(self, message: str) -> None:
        for field in (self.old_passphrase, self.new_passphrase, self.new_passphrase_again):
            field.clear()
        self.notice.show_info(message)
        self.refresh()

    def _failed(self, error: BaseException) -> None:
        self.change_button.setEnabled(True)
        self.notice.show_problem(error)
