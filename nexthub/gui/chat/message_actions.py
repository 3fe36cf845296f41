"""The buttons of the message under the pointer (or the keyboard's current message).

Messages are painted by a delegate, and painted buttons are neither
focusable nor visible to screen readers. So one bar of real buttons, each
with an accessible name, is laid over the footer of the active message; the
other messages paint only their version label.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolButton, QWidget

from nexthub.gui.chat.details import NEXT_ARROW, PREVIOUS_ARROW


@dataclass(frozen=True)
class RowActions:
    """What the active row offers; the panel decides, the bar only shows it."""

    row: int
    version: int = 1
    versions: int = 1
    can_edit: bool = False
    can_regenerate: bool = False
    can_switch_version: bool = False
    code_blocks: int = 0
    has_details: bool = False
    details_shown: bool = False


def _button(text: str, name: str, tip: str, parent: QWidget) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setAccessibleName(name)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button


class MessageActions(QWidget):
    """Copy, Copy code, Select text, Edit, Regenerate, versions and Details for one message."""

    #: Each carries the row the bar was shown for.
    copy_requested = Signal(int)
    #: The row and the code block's number.
    copy_code_requested = Signal(int, int)
    edit_requested = Signal(int)
    regenerate_requested = Signal(int)
    #: The row and the version (1-based) to show.
    version_requested = Signal(int, int)
    details_toggled = Signal(int)
    select_text_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Message actions")
        self._actions = RowActions(row=-1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.previous_button = _button(
            PREVIOUS_ARROW, "Previous version", "Show the previous version", self
        )
        self.version_label = QLabel(self)
        self.version_label.setAccessibleName("Version")
        self.next_button = _button(NEXT_ARROW, "Next version", "Show the next version", self)
        self.copy_button = _button("Copy", "Copy message", "Copy this message's text", self)
        self.copy_code_button = _button("Copy code", "Copy code", "Copy a code block", self)
        self.select_button = _button(
            "Select text", "Select text", "Open the text to select and copy part of it", self
        )
        self.edit_button = _button("Edit", "Edit message", "Edit and send again", self)
        self.regenerate_button = _button(
            "Regenerate", "Regenerate answer", "Answer again; this answer stays as a version", self
        )
        self.details_button = _button("Details", "Show details", "Tokens, speed and model", self)
        self.details_button.setCheckable(True)
        for widget in (
            self.previous_button,
            self.version_label,
            self.next_button,
            self.copy_button,
            self.copy_code_button,
            self.select_button,
            self.edit_button,
            self.regenerate_button,
            self.details_button,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        self.previous_button.clicked.connect(lambda: self._switch(-1))
        self.next_button.clicked.connect(lambda: self._switch(+1))
        self.copy_button.clicked.connect(lambda: self.copy_requested.emit(self._actions.row))
        self.copy_code_button.clicked.connect(self._copy_code)
        self.select_button.clicked.connect(
            lambda: self.select_text_requested.emit(self._actions.row)
        )
        self.edit_button.clicked.connect(lambda: self.edit_requested.emit(self._actions.row))
        self.regenerate_button.clicked.connect(
            lambda: self.regenerate_requested.emit(self._actions.row)
        )
        self.details_button.clicked.connect(lambda: self.details_toggled.emit(self._actions.row))

    @property
    def row(self) -> int:
        """The row the bar is shown for (-1: none)."""
        return self._actions.row

    def show_actions(self, actions: RowActions) -> None:
        """Offer what ``actions`` allows for its row."""
        self._actions = actions
        several = actions.versions > 1
        for widget in (self.previous_button, self.version_label, self.next_button):
            widget.setVisible(several)
        self.version_label.setText(f"{actions.version}/{actions.versions}")
        self.version_label.setAccessibleName(f"Version {actions.version} of {actions.versions}")
        self.previous_button.setEnabled(actions.can_switch_version and actions.version > 1)
        self.next_button.setEnabled(
            actions.can_switch_version and actions.version < actions.versions
        )
        self.copy_code_button.setVisible(actions.code_blocks > 0)
        self.edit_button.setVisible(actions.can_edit)
        self.regenerate_button.setVisible(actions.can_regenerate)
        self.details_button.setVisible(actions.has_details)
        self.details_button.setChecked(actions.details_shown)
        self.details_button.setAccessibleName(
            "Hide details" if actions.details_shown else "Show details"
        )
        self.adjustSize()

    def _switch(self, step: int) -> None:
        target = self._actions.version + step
        if 1 <= target <= self._actions.versions:
            self.version_requested.emit(self._actions.row, target)

    def _copy_code(self) -> None:
        """One code block: copy it; several: ask which."""
        row, count = self._actions.row, self._actions.code_blocks
        if count == 1:
            self.copy_code_requested.emit(row, 0)
            return
        menu = QMenu(self)
        menu.setAccessibleName("Copy which code block")
        for number in range(count):
            action = menu.addAction(f"Code block {number + 1}")
            action.triggered.connect(
                lambda _checked=False, n=number: self.copy_code_requested.emit(row, n)
            )
        menu.popup(self.copy_code_button.mapToGlobal(self.copy_code_button.rect().bottomLeft()))
