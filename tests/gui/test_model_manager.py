"""The model manager as a user meets it: real widgets, the real starter model, a real store.

Files are chosen by patching the file dialog (a native dialog cannot be
driven offscreen); everything after that is NextHub's own code: inspection,
copying, the registry, the download from a fake Hub on 127.0.0.1, the load.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QFileDialog
from pytestqt.qtbot import QtBot

from nexthub.gui.model_catalog import RowState
from nexthub.gui.model_manager import ModelManager
from nexthub.gui.tasks import TaskRunner
from nexthub.models import Catalog, MemoryFit
from nexthub.service.downloads import CatalogDownloads
from nexthub.service.hub import Hub
from tests.fake_hub import FakeHub, running_fake_hub, write_tiny_gguf
from tests.gui.page_helpers import WAIT_MS, MessageBoxes, shown

Idle = Callable[[], None]
FIT_LABELS = {str(fit) for fit in MemoryFit}


@pytest.fixture
def manager(qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle) -> ModelManager:
    """The model manager, shown, with its lists read."""
    return shown(qtbot, ModelManager(hub, tasks), idle)


def table_rows(manager: ModelManager) -> list[list[str]]:
    """The installed-models table, as the user reads it."""
    table = manager.installed.table
    return [
        [table.item(row, column).text() for column in range(table.columnCount())]
        for row in range(table.rowCount())
    ]


def row_of(manager: ModelManager, name: str) -> list[str]:
    return next(row for row in table_rows(manager) if row[0] == name)


def select(manager: ModelManager, name: str) -> None:
    names = [row[0] for row in table_rows(manager)]
    manager.installed.table.selectRow(names.index(name))


@contextmanager
def choosing(*files: Path) -> Iterator[None]:
    """The file dialog answers with ``files`` (a native dialog cannot be driven offscreen)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            QFileDialog,
            "getOpenFileNames",
            lambda *_args, **_kwargs: ([str(f) for f in files], "GGUF models (*.gguf)"),
        )
        yield


def test_the_starter_model_is_listed_with_its_quantisation_and_where_it_fits(
    manager: ModelManager,
) -> None:

    name, quantisation, size, context, fit, source = row_of(manager, "SmolLM2 135M Instruct")
    assert quantisation == "Q4_1"
    assert size == "98.4 MB"
    assert context == "8,192"
    assert fit in FIT_LABELS - {"too large"}
    assert source == "starter model"
    select(manager, name)
    assert manager.installed.use_button.isEnabled()
    assert not manager.installed.remove_button.isEnabled()  # it goes with its package
    assert manager.installed.table.accessibleName() == "Installed models"


def test_importing_a_bad_file_says_why_and_adds_nothing(
    qtbot: QtBot,
    manager: ModelManager,
    hub: Hub,
    idle: Idle,
    tmp_path: Path,
) -> None:
    bad = tmp_path / "holiday-photos.gguf"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4096))

    with choosing(bad):
        qtbot.mouseClick(manager.installed.import_button, Qt.MouseButton.LeftButton)
    idle()

    assert manager.notice.kind == "error"
    assert "holiday-photos.gguf" in manager.notice.text()
    assert "GGUF" in manager.notice.text()
    assert [row[0] for row in table_rows(manager)] == ["SmolLM2 135M Instruct"]
    assert not hub.paths.models_dir.exists() or not any(hub.paths.models_dir.iterdir())
    assert manager.installed.import_button.isEnabled()  # the page stays usable


def test_a_good_file_is_imported_by_dialog_and_removed_with_its_copy(
    qtbot: QtBot, manager: ModelManager, hub: Hub, idle: Idle, tmp_path: Path
) -> None:
    original = tmp_path / "Tiny-Model.F32.gguf"
    write_tiny_gguf(original)

    with choosing(original), qtbot.waitSignal(manager.models_changed, timeout=WAIT_MS):
        qtbot.mouseClick(manager.installed.import_button, Qt.MouseButton.LeftButton)
    idle()

    assert manager.notice.text() == "Imported Tiny-Model.F32."
    name, quantisation, _size, context, fit, source = row_of(manager, "Tiny-Model.F32")
    assert (quantisation, context, source) == ("F32", "512", "imported (copied)")
    assert fit in FIT_LABELS
    copies = list(hub.paths.models_dir.iterdir())
    assert len(copies) == 1

    select(manager, name)
    dialogs = MessageBoxes()
    dialogs.answer("Remove")
    qtbot.mouseClick(manager.installed.remove_button, Qt.MouseButton.LeftButton)
    idle()

    assert "delete its file" in dialogs.seen[0]
    assert manager.notice.text() == "Removed Tiny-Model.F32."
    assert [row[0] for row in table_rows(manager)] == ["SmolLM2 135M Instruct"]
    assert not copies[0].exists()
    assert original.exists()


def test_a_dropped_file_used_in_place_is_never_deleted(
    qtbot: QtBot, manager: ModelManager, idle: Idle, tmp_path: Path
) -> None:
    mine = tmp_path / "my-model.gguf"
    write_tiny_gguf(mine)
    manager.installed.in_place.setChecked(True)
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(mine))])
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )

    manager.installed.dropEvent(drop)
    idle()

    assert row_of(manager, "my-model")[5] == "your file, used in place"
    select(manager, "my-model")
    dialogs = MessageBoxes()
    dialogs.answer("Cancel")
    qtbot.mouseClick(manager.installed.remove_button, Qt.MouseButton.LeftButton)
    idle()
    assert "my-model" in [row[0] for row in table_rows(manager)]  # cancelled: still there

    dialogs.answer("Remove")
    qtbot.mouseClick(manager.installed.remove_button, Qt.MouseButton.LeftButton)
    idle()
    assert f"Your file {mine} is kept" in dialogs.seen[-1]
    assert "my-model" not in [row[0] for row in table_rows(manager)]
    assert mine.exists()


def test_use_this_model_loads_it_and_a_load_can_be_cancelled(
    qtbot: QtBot, manager: ModelManager, hub: Hub, idle: Idle
) -> None:
    select(manager, "SmolLM2 135M Instruct")

    cancel = lambda _name: manager.cancel_load_button.click()  # noqa: E731 - one line
    manager.loader.started.connect(cancel)
    with qtbot.waitSignal(manager.loader.cancelled, timeout=WAIT_MS):
        qtbot.mouseClick(manager.installed.use_button, Qt.MouseButton.LeftButton)
    assert manager.notice.text() == "Loading the model was cancelled; no model is loaded."
    assert hub.loaded_model is None
    manager.loader.started.disconnect(cancel)

    with qtbot.waitSignal(manager.model_loaded, timeout=WAIT_MS) as loaded:
        qtbot.mouseClick(manager.installed.use_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(manager.load_progress.isVisible, timeout=WAIT_MS)
    idle()
    assert loaded.args == ["SmolLM2 135M Instruct"]
    assert manager.notice.text() == "Loaded SmolLM2 135M Instruct: new answers come from it."
    assert not manager.load_progress.isVisible()
    assert hub.loaded_model is not None


# -- Downloads from the catalog ------------------------------------------------------------------


@pytest.fixture
def offering(hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """The hub's catalog offers a tiny model from a fake Hub on 127.0.0.1, sent slowly
    enough to pause. Offline mode (set for every test) is lifted for this server alone."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with running_fake_hub(tmp_path / "served.gguf") as fake_hub:
        fake_hub.chunk_delay = 0.15
        hub.models.downloads = CatalogDownloads(
            hub.models.registry, catalog=Catalog((fake_hub.entry(),)), endpoint=fake_hub.endpoint
        )
        yield fake_hub


@pytest.fixture
def catalog(
    offering: FakeHub, qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle
) -> ModelManager:
    """The model manager showing its catalog, which offers the fake Hub's model."""
    manager = shown(qtbot, ModelManager(hub, tasks), idle)
    manager.tabs.setCurrentWidget(manager.catalog)
    return manager


def partial_files(hub: Hub) -> list[Path]:
    folder = hub.paths.downloads_dir
    return sorted(folder.glob("*.part")) if folder.exists() else []


def test_a_download_shows_progress_pauses_resumes_and_installs_the_model(
    qtbot: QtBot, catalog: ModelManager, hub: Hub, idle: Idle, offering: FakeHub
) -> None:
    manager = catalog
    row = manager.catalog.rows["tiny-model"]
    assert row.state_label.text() == "Not downloaded"
    assert row.details.text().startswith("F32 · 1.0 MB download · needs about 1.0 MB of memory")

    qtbot.mouseClick(row.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.progress.value() > 0, timeout=WAIT_MS)
    assert row.state_label.text().startswith("Downloading: ")
    assert row.pause_button.isVisible() and row.cancel_button.isVisible()
    assert not row.download_button.isVisible()
    qtbot.mouseClick(row.pause_button, Qt.MouseButton.LeftButton)
    idle()

    assert row.state is RowState.PAUSED
    assert row.state_label.text().startswith("Paused: ")
    assert "Paused the download of Tiny Model" in manager.notice.text()
    kept = partial_files(hub)
    assert len(kept) == 1
    kept_bytes = kept[0].stat().st_size
    assert 0 < kept_bytes < len(offering.content)
    assert row.resume_button.isVisible() and not row.pause_button.isVisible()

    with qtbot.waitSignal(manager.models_changed, timeout=WAIT_MS):
        qtbot.mouseClick(row.resume_button, Qt.MouseButton.LeftButton)
    idle()

    assert row.state_label.text() == "Installed"
    assert manager.notice.text() == "Downloaded and verified Tiny Model."
    assert row_of(manager, "Tiny Model")[5] == "downloaded"
    assert offering.gets()[-1].headers["Range"] == f"bytes={kept_bytes}-"  # resumed, not restarted
    assert partial_files(hub) == []


def test_a_cancelled_download_keeps_nothing(
    qtbot: QtBot, catalog: ModelManager, hub: Hub, idle: Idle, offering: FakeHub
) -> None:
    manager = catalog
    row = manager.catalog.rows["tiny-model"]

    qtbot.mouseClick(row.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.progress.value() > 0, timeout=WAIT_MS)
    qtbot.mouseClick(row.cancel_button, Qt.MouseButton.LeftButton)
    idle()

    assert row.state_label.text() == "Not downloaded"
    assert "what was downloaded is deleted" in manager.notice.text()
    assert partial_files(hub) == []
    assert "Tiny Model" not in [r[0] for r in table_rows(manager)]


def test_a_download_that_fails_its_checksum_is_not_installed(
    qtbot: QtBot, catalog: ModelManager, hub: Hub, idle: Idle, offering: FakeHub
) -> None:
    offering.chunk_delay = 0.0
    corrupted = bytearray(offering.content)
    corrupted[-1] ^= 0xFF
    offering.served = bytes(corrupted)
    manager = catalog
    row = manager.catalog.rows["tiny-model"]

    qtbot.mouseClick(row.download_button, Qt.MouseButton.LeftButton)
    idle()

    assert manager.notice.kind == "error"
    assert "The download of Tiny Model is corrupt" in manager.notice.text()
    assert row.state_label.text() == "Not downloaded"
    assert row.download_button.isEnabled()
    assert "Tiny Model" not in [r[0] for r in table_rows(manager)]
    assert partial_files(hub) == []
