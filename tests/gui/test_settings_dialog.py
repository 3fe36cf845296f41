"""The Settings dialog: what is typed is saved to the settings file, or refused with a reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialog, QLabel
from pytestqt.qtbot import QtBot

from nexthub.gui.settings_dialog import AUTOMATIC_MODEL, SettingsDialog
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import apply_theme
from nexthub.service.hub import Hub
from tests.gui.page_helpers import WAIT_MS, shown

Idle = Callable[[], None]


@pytest.fixture(autouse=True)
def system_theme_afterwards(qapp: QApplication) -> Iterator[None]:
    """Saving applies the theme to the whole application: put it back for other tests."""
    yield
    apply_theme(qapp, "system")


def open_dialog(qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle) -> SettingsDialog:
    return shown(qtbot, SettingsDialog(hub, tasks), idle)


def test_settings_are_saved_and_shown_again(
    qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle
) -> None:
    dialog = open_dialog(qtbot, hub, tasks, idle)
    assert (dialog.threads.text(), dialog.gpu_layers.text(), dialog.context_size.text()) == (
        "auto",
        "auto",
        "4096",
    )
    models = [dialog.default_model.itemText(i) for i in range(dialog.default_model.count())]
    assert models == [AUTOMATIC_MODEL, "SmolLM2 135M Instruct"]

    dialog.threads.setText("3")
    dialog.gpu_layers.setText("0")
    dialog.context_size.setText("8,192")
    dialog.default_model.setCurrentIndex(1)
    dialog.theme.setCurrentText("Dark")
    dialog.web.enabled.setChecked(True)
    dialog.web.port.setText("9123")
    with qtbot.waitSignal(dialog.settings_saved, timeout=WAIT_MS) as saved:
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    idle()

    assert dialog.result() == QDialog.DialogCode.Accepted
    on_disk = json.loads(hub.paths.settings_file.read_text(encoding="utf-8"))
    assert saved.args[0] == hub.settings
    assert on_disk == {
        "threads": 3,
        "gpu_layers": 0,
        "context_size": 8192,
        "default_model": "smollm2-135m-instruct",
        "theme": "dark",
        "web_gui_enabled": True,
        "web_port": 9123,
        "welcomed": True,
        "api_usage_retention_days": 30,
    }
    assert hub.settings.context_size == 8192

    again = open_dialog(qtbot, hub, tasks, idle)
    assert (again.threads.text(), again.gpu_layers.text(), again.context_size.text()) == (
        "3",
        "0",
        "8192",
    )
    assert again.default_model.currentText() == "SmolLM2 135M Instruct"
    assert again.theme.currentText() == "Dark"
    assert again.web.enabled.isChecked() and again.web.port.text() == "9123"


def test_an_invalid_value_is_refused_with_a_reason_and_nothing_is_saved(
    qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle
) -> None:
    dialog = open_dialog(qtbot, hub, tasks, idle)
    before = hub.paths.settings_file.read_bytes()
    dialog.threads.setText("many")
    dialog.context_size.setText("-5")

    with qtbot.assertNotEmitted(dialog.settings_saved):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        idle()

    assert dialog.isVisible()
    assert dialog.notice.kind == "error"
    assert dialog.notice.text() == (
        "Threads must be 'auto' or a whole number of 1 or more. "
        "Context size must be 'auto' or a whole number of 0 or more."
    )
    assert hub.paths.settings_file.read_bytes() == before

    dialog.threads.setText("2")
    dialog.context_size.setText("auto")
    with qtbot.waitSignal(dialog.settings_saved, timeout=WAIT_MS):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert hub.settings.threads == 2 and hub.settings.context_size == 0


def test_without_a_running_server_the_web_gui_shows_no_address_and_no_link(
    qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle
) -> None:
    dialog = open_dialog(qtbot, hub, tasks, idle)
    assert dialog.web.status.text() == "Off: nothing listens on the network."
    texts = [label.text() for label in dialog.findChildren(QLabel)]
    assert not any("http" in text for text in texts)
    assert not dialog.web.copy_link_button.isEnabled()
    assert not dialog.web.open_browser_button.isEnabled()
    fields = (dialog.threads, dialog.gpu_layers, dialog.context_size, dialog.web.port)
    assert [w.accessibleName() for w in fields] == [
        "Threads",
        "GPU layers",
        "Context size",
        "Web GUI port",
    ]
    assert dialog.web.enabled.accessibleName() and dialog.save_button.accessibleName()
