"""The status bar's model corner: which model answers, a load's progress, Cancel and Load.

It only displays what :class:`~nexthub.gui.model_loader.ModelLoader` reports
and turns clicks into its calls, so the same loader can serve the model
manager too.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from nexthub.gui.model_loader import ModelLoader

#: Steps of the progress bar (a load reports a fraction).
PROGRESS_STEPS = 1000


class ModelStatus(QWidget):
    """Label, progress bar, Cancel, and "Load model" / "Manage models…" when nothing is loaded."""

    #: The user asked for the model manager (no model is installed).
    models_requested = Signal()

    def __init__(self, loader: ModelLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loader = loader
        self.label = QLabel("No model loaded", self)
        self.label.setAccessibleName("Model")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, PROGRESS_STEPS)
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Model loading progress")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setAccessibleName("Cancel loading the model")
        self.cancel_button.clicked.connect(self._cancel)
        self.load_button = QPushButton("Load model", self)
        self.load_button.setAccessibleName("Load the default model")
        self.load_button.clicked.connect(loader.load_default)
        self.manage_button = QPushButton("Manage models…", self)
        self.manage_button.setAccessibleName("Manage models")
        self.manage_button.clicked.connect(self.models_requested)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        for widget in (
            self.label,
            self.bar,
            self.cancel_button,
            self.load_button,
            self.manage_button,
        ):
            layout.addWidget(widget)
        loader.started.connect(self._started)
        loader.progress.connect(self._progress)
        loader.loaded.connect(self._loaded)
        loader.cancelled.connect(self._cancelled)
        loader.failed.connect(self._failed)
        loader.no_model.connect(self._no_model)
        self._none_installed = False
        self._idle("No model loaded", can_load=True)

    def text(self) -> str:
        """What the label says (tests read what the user reads)."""
        return self.label.text()

    @Slot()
    def models_changed(self) -> None:
        """The installed models changed: after "No model installed", offer to load one."""
        if self._none_installed:
            self._idle("No model loaded", can_load=True)

    def _idle(self, text: str, *, can_load: bool, can_manage: bool = False) -> None:
        self._none_installed = can_manage
        self.label.setText(text)
        self.bar.hide()
        self.cancel_button.hide()
        self.load_button.setVisible(can_load)
        self.manage_button.setVisible(can_manage)

    @Slot(str)
    def _started(self, name: str) -> None:
        self._none_installed = False
        self.label.setText(f"Loading {name}…")
        self.bar.setValue(0)
        self.bar.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.load_button.hide()
        self.manage_button.hide()

    @Slot(float)
    def _progress(self, fraction: float) -> None:
        self.bar.setValue(round(max(0.0, min(1.0, fraction)) * PROGRESS_STEPS))

    @Slot()
    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
        self._loader.cancel()

    @Slot(str)
    def _loaded(self, name: str) -> None:
        self._idle(f"Model: {name}", can_load=False)

    @Slot()
    def _cancelled(self) -> None:
        self._idle("No model loaded (loading was cancelled)", can_load=True)

    @Slot(str)
    def _failed(self, _message: str) -> None:
        self._idle("No model loaded", can_load=True)

    @Slot()
    def _no_model(self) -> None:
        self._idle("No model installed", can_load=False, can_manage=True)
