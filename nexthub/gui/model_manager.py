"""The model manager: installed models, the catalog, and loading the chosen model.

Two tabs: the installed models (:mod:`nexthub.gui.installed_models`) and the
catalog with its downloads (:mod:`nexthub.gui.model_catalog`). Below them one
message line for both, and while a model loads, its progress with a Cancel
button. Loading is the window's :class:`~nexthub.gui.model_loader.ModelLoader`
(pass it in, so the status bar shows the same load), which tells a cancelled
load from a failed one and catches a Cancel that comes before the load began.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QTabWidget, QVBoxLayout, QWidget

from nexthub.gui.installed_models import InstalledModelsView
from nexthub.gui.model_catalog import ModelCatalogView
from nexthub.gui.model_loader import ModelLoader
from nexthub.gui.notice import Notice
from nexthub.gui.progress import STEPS
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import button, text_label
from nexthub.service.hub import Hub


class ModelManager(QWidget):
    """Installed models and the catalog; loads the model the user chooses."""

    #: A model was loaded and answers from now on: its display name.
    model_loaded = Signal(str)
    #: The installed models changed (import, remove, download): lists of models are stale.
    models_changed = Signal()

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        *,
        loader: ModelLoader | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Model manager")
        self.loader = loader or ModelLoader(hub, tasks, self)
        self.notice = Notice("Model manager message", self)
        self.installed = InstalledModelsView(hub, tasks, self.notice, self)
        self.catalog = ModelCatalogView(hub.models.downloads, tasks, self.notice, self)
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Installed models and catalog")
        self.tabs.addTab(self.installed, "Installed")
        self.tabs.addTab(self.catalog, "Catalog")

        self.load_label = text_label("", "Model loading", self)
        self.load_progress = QProgressBar(self)
        self.load_progress.setAccessibleName("Model loading progress")
        self.load_progress.setRange(0, STEPS)
        self.cancel_load_button = button("Cancel", "Cancel loading the model", self)
        self.cancel_load_button.clicked.connect(self._cancel_load)
        loading = QHBoxLayout()
        loading.addWidget(self.load_label, 1)
        loading.addWidget(self.load_progress, 2)
        loading.addWidget(self.cancel_load_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.notice)
        layout.addLayout(loading)

        self.installed.models_changed.connect(self._models_changed)
        self.installed.use_requested.connect(self._use)
        self.catalog.model_installed.connect(self._models_changed)
        self.loader.started.connect(self._started)
        self.loader.progress.connect(self._progress)
        self.loader.loaded.connect(self._loaded)
        self.loader.cancelled.connect(self._cancelled)
        self.loader.failed.connect(self._failed)
        self._show_loading(False)
        self.refresh()

    def refresh(self) -> None:
        """Read the installed models and the catalog again."""
        self.installed.refresh()
        self.catalog.refresh()

    @Slot(str, str)
    def _use(self, model_id: str, _display_name: str) -> None:
        self.notice.clear_message()
        self.loader.load(model_id)

    @Slot(str)
    def _started(self, display_name: str) -> None:
        self.load_label.setText(f"Loading {display_name}…")
        self.load_progress.setValue(0)
        self._show_loading(True)

    @Slot(float)
    def _progress(self, fraction: float) -> None:
        self.load_progress.setValue(round(fraction * STEPS))

    @Slot()
    def _cancel_load(self) -> None:
        self.cancel_load_button.setEnabled(False)
        self.load_label.setText("Cancelling…")
        self.loader.cancel()

    @Slot(str)
    def _loaded(self, display_name: str) -> None:
        self._show_loading(False)
        self.notice.show_info(f"Loaded {display_name}: new answers come from it.")
        self.model_loaded.emit(display_name)

    @Slot()
    def _cancelled(self) -> None:
        self._show_loading(False)
        self.notice.show_info("Loading the model was cancelled; no model is loaded.")

    @Slot(str)
    def _failed(self, message: str) -> None:
        self._show_loading(False)
        self.notice.show_error(message)

    def _show_loading(self, loading: bool) -> None:
        for widget in (self.load_label, self.load_progress, self.cancel_load_button):
            widget.setVisible(loading)
        self.cancel_load_button.setEnabled(loading)
        self.installed.set_loading(loading)

    @Slot()
    def _models_changed(self) -> None:
        self.refresh()
        self.models_changed.emit()
