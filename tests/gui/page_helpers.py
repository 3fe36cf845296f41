"""Helpers for the pages' tests: show a widget and let it load, answer confirmation boxes.

Confirmation boxes are answered the way a user does: read, then click.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

#: Longest wait for a background task in these tests (the machine is slow and shared).
WAIT_MS = 60_000

W = TypeVar("W", bound=QWidget)


def shown(qtbot: QtBot, widget: W, idle: Callable[[], None]) -> W:
    """Show ``widget`` (closed after the test) and wait until what it reads has arrived."""
    qtbot.addWidget(widget)
    widget.show()
    idle()
    return widget


class MessageBoxes:
    """Clicks a button on the next message box that opens, and keeps what each one said."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def answer(self, button: str) -> None:
        """Click ``button`` on the next message box (call before the click that opens it)."""

        def click() -> None:
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox):
                QTimer.singleShot(20, click)
                return
            self.seen.append(f"{box.text()}\n{box.informativeText()}")
            for candidate in box.buttons():
                if candidate.text() == button:
                    candidate.click()
                    return
            raise AssertionError(f"no button {button!r} on {box.text()!r}")

        QTimer.singleShot(0, click)
