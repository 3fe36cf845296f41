"""The installed models: a table with where each can run, import (dialog or drop) and remove.

Each row shows what a person chooses a model by: its name, quantisation,
size, context length and whether it fits this machine (in the GPU, split
between CPU and GPU, on the CPU only, or too large), as the service layer
estimates it. Importing inspects the file before anything is copied, so a bad
file gets the registry's message and nothing is added.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.notice import Notice, confirm
from nexthub.gui.progress import STEPS, ProgressRelay
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import button
from nexthub.models import InstalledModel
from nexthub.service.display import human_bytes
from nexthub.service.hub import Hub
from nexthub.service.models import ModelChoice, removal_question

COLUMNS = ("Model", "Quantisation", "Size", "Context", "On this machine", "Source")
_SOURCES = {
    "starter": "starter model",
    "copy": "imported (copied)",
    "reference": "your file, used in place",
    "download": "downloaded",
}


def fit_text(choice: ModelChoice) -> str:
    """``"fits in GPU"``, ``"CPU+GPU"``, ``"CPU only"``, ``"too large"``, or the problem."""
    if choice.fit is None:
        return f"cannot be read: {choice.problem}"
    return str(choice.fit)


def row_texts(choice: ModelChoice) -> list[str]:
    """The table's cells for one installed model."""
    model = choice.model
    context = f"{model.context_length:,}" if model.context_length else "unknown"
    return [
        model.display_name,
        model.quantisation,
        human_bytes(model.size_bytes),
        context,
        fit_text(choice),
        _SOURCES[model.source],
    ]


class InstalledModelsView(QWidget):
    """The installed models, with Import, Remove and "Use this model"."""

    #: The installed models changed (one was imported or removed).
    models_changed = Signal()
    #: The user asked to load a model: its id and display name.
    use_requested = Signal(str, str)

    def __init__(
        self, hub: Hub, tasks: TaskRunner, notice: Notice, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._notice = notice
        self._models: list[InstalledModel] = []
        self._queue: list[Path] = []
        self._importing = False
        #: A model is being loaded: "Use this model" waits until it is done.
        self.loading = False
        self.setAcceptDrops(True)

        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setAccessibleName("Installed models")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.import_button = button("Import a model file…", "Import a GGUF model file", self)
        self.import_button.clicked.connect(self._choose_files)
        self.in_place = QCheckBox("Use the file where it is (do not copy it)", self)
        self.in_place.setAccessibleName("Use imported files where they are instead of copying")
        self.remove_button = button("Remove", "Remove the selected model", self)
        self.remove_button.clicked.connect(self._remove_selected)
        self.use_button = button("Use this model", "Load the selected model for chatting", self)
        self.use_button.clicked.connect(self._use_selected)
        self.import_progress = QProgressBar(self)
        self.import_progress.setAccessibleName("Import progress")
        self.import_progress.setRange(0, STEPS)
        self.import_progress.setVisible(False)

        buttons = QHBoxLayout()
        for widget in (self.import_button, self.in_place):
            buttons.addWidget(widget)
        buttons.addStretch(1)
        for widget in (self.remove_button, self.use_button):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(self.import_progress)
        layout.addLayout(buttons)
        self._update_buttons()

    # -- Listing ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the installed models and their fit again (off the main thread)."""
        settings = self._hub.settings.load_settings()
        self._tasks.run(
            lambda: self._hub.models.installed_here(settings),
            self._show_models,
            self._notice.show_problem,
        )

    def _show_models(self, choices: list[ModelChoice]) -> None:
        selected = self.selected_model()
        self._models = [choice.model for choice in choices]
        self.table.setRowCount(len(choices))
        for row, choice in enumerate(choices):
            for column, text in enumerate(row_texts(choice)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, choice.model.id)
                self.table.setItem(row, column, item)
            if selected is not None and choice.model.id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_model(self) -> InstalledModel | None:
        """The model whose row is selected."""
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self._models):
            return None
        return self._models[rows[0].row()]

    def set_loading(self, loading: bool) -> None:
        """Disable "Use this model" while a model loads."""
        self.loading = loading
        self._update_buttons()

    def _update_buttons(self) -> None:
        model = self.selected_model()
        self.use_button.setEnabled(model is not None and model.is_available and not self.loading)
        removable = model is not None and model.source != "starter"
        self.remove_button.setEnabled(removable)
        self.remove_button.setToolTip(
            "The starter model comes with NextHub's package and is removed by uninstalling it."
            if model is not None and not removable
            else ""
        )

    # -- Import -----------------------------------------------------------------------------

    def _choose_files(self) -> None:
        names, _filter = QFileDialog.getOpenFileNames(
            self, "Import a model", str(Path.home()), "GGUF models (*.gguf);;All files (*)"
        )
        self.import_files(Path(name) for name in names)

    def import_files(self, paths: Iterable[Path]) -> None:
        """Import model files one after another (the dialog's choice, or a drop)."""
        self._queue.extend(paths)
        if not self._importing:
            self._import_next()

    def _import_next(self) -> None:
        self._importing = bool(self._queue)
        if not self._queue:
            self.import_progress.setVisible(False)
            self.import_button.setEnabled(True)
            return
        path = self._queue.pop(0)
        copy = not self.in_place.isChecked()
        self.import_button.setEnabled(False)
        self.import_progress.setValue(0)
        self.import_progress.setFormat(f"Importing {path.name}… %p%")
        self.import_progress.setVisible(True)
        relay = ProgressRelay(self._tasks, self._show_import_progress)
        self._tasks.run(
            lambda: self._hub.models.registry.import_file(
                path, copy=copy, progress=relay.bytes_done
            ),
            self._imported,
            self._import_failed,
        )

    def _show_import_progress(self, done: int, total: int) -> None:
        self.import_progress.setValue(done * STEPS // total if total else 0)

    def _imported(self, model: InstalledModel) -> None:
        self._notice.show_info(f"Imported {model.display_name}.")
        self._after_change()
        self._import_next()

    def _import_failed(self, error: BaseException) -> None:
        self._notice.show_problem(error)
        self._import_next()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        """Accept files dragged from a file manager."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        """Import the dropped files."""
        files = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if files:
            event.acceptProposedAction()
            self.import_files(files)

    # -- Remove and use ---------------------------------------------------------------------

    def _remove_selected(self) -> None:
        model = self.selected_model()
        if model is None or not confirm(
            self, "Remove a model", removal_question(model), action="Remove"
        ):
            return
        self._tasks.run(
            lambda: self._hub.models.registry.remove(model.id),
            self._removed,
            self._notice.show_problem,
        )

    def _removed(self, model: InstalledModel) -> None:
        self._notice.show_info(f"Removed {model.display_name}.")
        self._after_change()

    def _use_selected(self) -> None:
        model = self.selected_model()
        if model is not None:
            self.use_requested.emit(model.id, model.display_name)

    def _after_change(self) -> None:
        self.models_changed.emit()  # the manager refreshes this list and the catalog
