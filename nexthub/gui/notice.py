"""Telling the user what happened: a message line on a page, and a confirmation box.

Every page shows the outcome of what the user asked for (done, or why not) in
a :class:`Notice` next to the controls, instead of a pop-up per message, so
the page stays usable and the message stays readable while they act on it.
Deleting something asks first, with :func:`confirm`.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from nexthub.gui.errors import describe

_COLOURS = {"error": "#b3261e", "info": ""}


class Notice(QLabel):
    """A line under a page's controls saying what happened: an error, or what was done."""

    def __init__(self, accessible_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(accessible_name)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setVisible(False)
        self.kind = ""

    def show_info(self, text: str) -> None:
        """Say what was done."""
        self._show(text, "info")

    def show_error(self, text: str) -> None:
        """Say what went wrong and what to do."""
        self._show(text, "error")

    def show_problem(self, error: BaseException) -> None:
        """Say what went wrong, from the exception a service call raised (worded by
        :func:`nexthub.gui.errors.describe`: a bug's own text is never shown)."""
        self.show_error(describe(error))

    def clear_message(self) -> None:
        """Hide the line (a new action starts)."""
        self.kind = ""
        self.setText("")
        self.setVisible(False)

    def _show(self, text: str, kind: str) -> None:
        self.kind = kind
        colour = _COLOURS[kind]
        self.setStyleSheet(f"color: {colour};" if colour else "")
        self.setAccessibleDescription(kind)
        self.setText(text)
        self.setVisible(True)


def confirm(parent: QWidget, title: str, text: str, *, action: str, details: str = "") -> bool:
    """Ask before something that cannot be undone; the safe answer (Cancel) is the default."""
    box = _message_box(parent, QMessageBox.Icon.Warning, title, text, details)
    proceed = box.addButton(action, QMessageBox.ButtonRole.DestructiveRole)
    proceed.setAccessibleName(action)
    keep = box.addButton(QMessageBox.StandardButton.Cancel)
    keep.setAccessibleName("Cancel")
    box.setDefaultButton(keep)
    box.setEscapeButton(keep)
    box.exec()
    return box.clickedButton() is proceed


def tell(parent: QWidget, title: str, text: str, *, details: str = "") -> None:
    """Say, in a box the user closes, what happened when the window is about to go away."""
    box = _message_box(parent, QMessageBox.Icon.Information, title, text, details)
    box.addButton(QMessageBox.StandardButton.Ok).setAccessibleName("OK")
    box.exec()


def _message_box(
    parent: QWidget, icon: QMessageBox.Icon, title: str, text: str, details: str
) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle(title)
    box.setAccessibleName(title)
    box.setText(text)
    if details:
        box.setInformativeText(details)
    return box
