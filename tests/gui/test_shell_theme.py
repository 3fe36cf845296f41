"""The application's name, icon and theme: system colours, or forced light or dark."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from nexthub.gui.app import create_application, display_available
from nexthub.gui.theme import apply_theme, icon_file, is_dark


@pytest.fixture
def app(qapp: QApplication) -> Iterator[QApplication]:
    application = create_application()
    yield application
    apply_theme(application, "system")


def test_the_application_is_named_and_has_its_icon(app: QApplication) -> None:
    assert app.applicationName() == "NextHub"
    assert not app.windowIcon().isNull()
    path = icon_file()
    assert path is not None and path.name == "nexthub.svg"


def test_dark_and_light_are_forced_and_system_comes_back(app: QApplication) -> None:
    system_style = app.style().name()
    apply_theme(app, "dark")
    assert is_dark(app.palette())
    assert app.palette().color(QPalette.ColorRole.Text).lightness() > 200
    apply_theme(app, "light")
    assert not is_dark(app.palette())
    apply_theme(app, "system")
    assert app.style().name() == system_style


def test_a_display_is_needed_on_linux_unless_a_platform_is_named() -> None:
    assert display_available({}) is not sys.platform.startswith("linux")
    assert display_available({"DISPLAY": ":0"})
    assert display_available({"QT_QPA_PLATFORM": "offscreen"})
