"""Small widget makers shared by the pages, so every control gets an accessible name."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPushButton, QWidget


def button(text: str, accessible_name: str, parent: QWidget) -> QPushButton:
    """A push button that a screen reader announces by what it does."""
    widget = QPushButton(text, parent)
    widget.setAccessibleName(accessible_name)
    return widget


def text_label(text: str, accessible_name: str, parent: QWidget) -> QLabel:
    """A word-wrapped label (explanations, states) with an accessible name."""
    widget = QLabel(text, parent)
    widget.setAccessibleName(accessible_name)
    widget.setWordWrap(True)
    return widget


def line_field(text: str, accessible_name: str, parent: QWidget) -> QLineEdit:
    """A one-line text field holding ``text``, announced by ``accessible_name``."""
    widget = QLineEdit(text, parent)
    widget.setAccessibleName(accessible_name)
    return widget


def secret_field(accessible_name: str, parent: QWidget) -> QLineEdit:
    """A line edit for a passphrase: typed characters are not shown."""
    widget = QLineEdit(parent)
    widget.setAccessibleName(accessible_name)
    widget.setEchoMode(QLineEdit.EchoMode.Password)
    return widget


def refill(
    combo: QComboBox, first: str, choices: Iterable[tuple[str, str]], *, keep_missing: str
) -> None:
    """Replace a list's choices (``first`` means None, then (text, id) pairs), keeping the
    one chosen; if it is no longer offered, it stays, labelled with ``keep_missing``
    (e.g. "{} (not installed)"), so that saving does not silently change it."""
    chosen = combo.currentData()
    combo.clear()
    combo.addItem(first, None)
    for text, data in choices:
        combo.addItem(text, data)
    if chosen is not None and combo.findData(chosen) < 0 and keep_missing:
        combo.addItem(keep_missing.format(chosen), chosen)
    combo.setCurrentIndex(max(0, combo.findData(chosen)))
