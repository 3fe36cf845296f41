"""Every control of the model manager, Settings and the Privacy page has an accessible name."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QProgressBar,
    QTabWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from nexthub.gui.model_manager import ModelManager
from nexthub.gui.privacy_page import PrivacyPage
from nexthub.gui.settings_dialog import SettingsDialog
from nexthub.gui.tasks import TaskRunner
from nexthub.service.hub import Hub
from tests.gui.page_helpers import shown

CONTROLS = (QAbstractButton, QAbstractItemView, QComboBox, QLineEdit, QProgressBar, QTabWidget)


def part_of_a_qt_control(widget: QWidget) -> bool:
    """A piece Qt builds inside a control (a list's header, a combo box's popup list)."""
    if isinstance(widget, QHeaderView) or widget.objectName().startswith("qt_"):
        return True
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parentWidget()
    return False


def unnamed_controls(page: QWidget) -> list[str]:
    """Controls a screen reader could only announce by their type."""
    unnamed = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or part_of_a_qt_control(widget):
            continue
        if not widget.accessibleName():
            unnamed.append(f"{type(widget).__name__} {getattr(widget, 'text', lambda: '')()!r}")
    return unnamed


@pytest.mark.parametrize("page_class", [ModelManager, SettingsDialog, PrivacyPage])
def test_every_control_has_an_accessible_name(
    qtbot: QtBot,
    hub: Hub,
    tasks: TaskRunner,
    idle: Callable[[], None],
    page_class: type[ModelManager | SettingsDialog | PrivacyPage],
) -> None:
    page = shown(qtbot, page_class(hub, tasks), idle)

    assert page.accessibleName()
    assert unnamed_controls(page) == []
