"""The catalog of recommended models, each with Download, Pause, Resume and Cancel.

A row shows what the model is (quantisation, download size, the memory it
needs, context length, license) and where its download stands. Pausing keeps
what was downloaded, so Resume (now, or after a restart) continues from there;
Cancel deletes it. The download is verified against the catalog's sha256
before it is installed: a mismatch is an error and nothing is installed.

One download runs at a time: each occupies a worker thread of the
:class:`~nexthub.gui.tasks.TaskRunner` for as long as it runs, and the other
pages need the rest.
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.notice import Notice
from nexthub.gui.progress import STEPS, ProgressRelay
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import button, text_label
from nexthub.models import CatalogEntry, InstalledModel
from nexthub.service.display import human_bytes
from nexthub.service.downloads import CatalogDownloads, CatalogOffer


class RowState(Enum):
    """Where a catalog model's download stands, as its row shows it."""

    AVAILABLE = "Not downloaded"
    DOWNLOADING = "Downloading"
    PAUSING = "Pausing…"
    PAUSED = "Paused"
    CANCELLING = "Cancelling…"
    INSTALLED = "Installed"


def entry_details(entry: CatalogEntry) -> str:
    """One line of what a catalog model is, for choosing it."""
    return (
        f"{entry.quantisation} · {human_bytes(entry.size_bytes)} download · needs about "
        f"{human_bytes(entry.min_memory_bytes)} of memory · context {entry.context_length:,} "
        f"tokens · license {entry.license}"
    )


class CatalogRow(QFrame):
    """One catalog model: its details, its download's state and progress, and the buttons."""

    def __init__(self, offer: CatalogOffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        entry = offer.entry
        self.entry = entry
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(entry.display_name)
        name = text_label(f"<b>{entry.display_name}</b>", f"{entry.display_name}: name", self)
        self.details = text_label(entry_details(entry), f"{entry.display_name}: details", self)
        self.state_label = text_label("", f"{entry.display_name}: download state", self)
        self.progress = QProgressBar(self)
        self.progress.setAccessibleName(f"{entry.display_name}: download progress")
        self.progress.setRange(0, STEPS)
        self.progress.setTextVisible(False)
        self.download_button = button("Download", f"Download {entry.display_name}", self)
        self.pause_button = button("Pause", f"Pause the download of {entry.display_name}", self)
        self.resume_button = button("Resume", f"Resume the download of {entry.display_name}", self)
        self.cancel_button = button("Cancel", f"Cancel the download of {entry.display_name}", self)

        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label, 1)
        for widget in (
            self.download_button,
            self.pause_button,
            self.resume_button,
            self.cancel_button,
        ):
            buttons.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addWidget(name)
        layout.addWidget(self.details)
        layout.addWidget(self.progress)
        layout.addLayout(buttons)

        self.done_bytes = offer.partial_bytes
        self.total_bytes = entry.size_bytes
        if offer.installed:
            self.set_state(RowState.INSTALLED)
        else:
            self.set_state(RowState.PAUSED if offer.partial_bytes else RowState.AVAILABLE)

    def set_state(self, state: RowState) -> None:
        """Show ``state``: its words, its progress, and only the buttons that apply."""
        self.state = state
        text = state.value
        if state in (RowState.DOWNLOADING, RowState.PAUSED):
            text = f"{text}: {human_bytes(self.done_bytes)} of {human_bytes(self.total_bytes)}"
            if state is RowState.DOWNLOADING and self.done_bytes >= self.total_bytes:
                text = "Checking the download's sha256…"
        self.state_label.setText(text)
        self.progress.setValue(
            self.done_bytes * STEPS // self.total_bytes if self.total_bytes else 0
        )
        self.progress.setVisible(state not in (RowState.AVAILABLE, RowState.INSTALLED))
        self.download_button.setVisible(state is RowState.AVAILABLE)
        self.pause_button.setVisible(state is RowState.DOWNLOADING)
        self.resume_button.setVisible(state is RowState.PAUSED)
        self.cancel_button.setVisible(state in (RowState.DOWNLOADING, RowState.PAUSED))

    def show_progress(self, done: int, total: int) -> None:
        """Bytes downloaded so far (while downloading)."""
        self.done_bytes, self.total_bytes = done, total or self.total_bytes
        if self.state is RowState.DOWNLOADING:
            self.set_state(RowState.DOWNLOADING)


class ModelCatalogView(QScrollArea):
    """Every catalog model as a :class:`CatalogRow`; runs their downloads one at a time."""

    #: A catalog model was downloaded, verified and installed: its id.
    model_installed = Signal(str)

    def __init__(
        self,
        downloads: CatalogDownloads,
        tasks: TaskRunner,
        notice: Notice,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._downloads = downloads
        self._tasks = tasks.owned_by(self)
        self._notice = notice
        self.rows: dict[str, CatalogRow] = {}
        self._running: str | None = None
        self.setAccessibleName("Model catalog")
        self.setWidgetResizable(True)
        self._content = QWidget(self)
        self._layout = QVBoxLayout(self._content)
        self._layout.addStretch(1)
        self.setWidget(self._content)

    def refresh(self) -> None:
        """Read the catalog and what is installed or paused (off the main thread)."""
        self._tasks.run(self._downloads.offers, self._show_offers, self._notice.show_problem)

    def _show_offers(self, offers: list[CatalogOffer]) -> None:
        for offer in offers:
            row = self.rows.get(offer.entry.id) or self._add_row(offer)
            if offer.entry.id == self._running:
                continue  # its own callbacks keep it up to date
            if offer.installed:
                row.set_state(RowState.INSTALLED)
            else:
                row.done_bytes = offer.partial_bytes
                row.set_state(RowState.PAUSED if offer.partial_bytes else RowState.AVAILABLE)
        self._update_download_buttons()

    def _add_row(self, offer: CatalogOffer) -> CatalogRow:
        row = CatalogRow(offer, self._content)
        catalog_id = offer.entry.id
        row.download_button.clicked.connect(lambda: self._start(catalog_id))
        row.resume_button.clicked.connect(lambda: self._start(catalog_id))
        row.pause_button.clicked.connect(lambda: self._pause(catalog_id))
        row.cancel_button.clicked.connect(lambda: self._cancel(catalog_id))
        self._layout.insertWidget(self._layout.count() - 1, row)
        self.rows[catalog_id] = row
        return row

    def _update_download_buttons(self) -> None:
        """While one download runs, the others cannot start (see the module docstring)."""
        for catalog_id, row in self.rows.items():
            idle = self._running is None or self._running == catalog_id
            row.download_button.setEnabled(idle)
            row.resume_button.setEnabled(idle)

    def _start(self, catalog_id: str) -> None:
        if self._running is not None:
            return
        row = self.rows[catalog_id]
        self._notice.clear_message()
        self._running = catalog_id
        row.set_state(RowState.DOWNLOADING)
        self._update_download_buttons()
        relay = ProgressRelay(self._tasks, row.show_progress)
        self._tasks.run(
            lambda: self._downloads.download(catalog_id, relay.bytes_done),
            lambda model: self._finished(row, model),
            lambda error: self._failed(row, error),
        )

    def _pause(self, catalog_id: str) -> None:
        # Pausing and cancelling only set an event the download thread checks
        # between pieces: they return at once, so they run on the main thread.
        self.rows[catalog_id].set_state(RowState.PAUSING)
        self._downloads.pause(catalog_id)

    def _cancel(self, catalog_id: str) -> None:
        row = self.rows[catalog_id]
        if row.state is RowState.PAUSED:  # nothing running: delete the partial file now
            row.set_state(RowState.CANCELLING)
            self._tasks.run(
                lambda: self._downloads.cancel(catalog_id),
                lambda _none: self._cancelled(row),
                lambda error: self._failed(row, error),
            )
            return
        row.set_state(RowState.CANCELLING)
        self._downloads.cancel(catalog_id)

    def _finished(self, row: CatalogRow, model: InstalledModel | None) -> None:
        self._running = None
        if model is not None:
            row.set_state(RowState.INSTALLED)
            self._notice.show_info(f"Downloaded and verified {row.entry.display_name}.")
            self.model_installed.emit(model.id)
        elif row.state is RowState.CANCELLING:
            self._cancelled(row)
        else:
            row.set_state(RowState.PAUSED)
            self._notice.show_info(
                f"Paused the download of {row.entry.display_name}. Resume continues where it "
                "stopped, also after NextHub restarts."
            )
        self._update_download_buttons()

    def _cancelled(self, row: CatalogRow) -> None:
        row.done_bytes = 0
        row.set_state(RowState.AVAILABLE)
        self._notice.show_info(
            f"Cancelled the download of {row.entry.display_name}; what was downloaded is deleted."
        )

    def _failed(self, row: CatalogRow, error: BaseException) -> None:
        self._running = None
        self._notice.show_problem(error)
        row.set_state(RowState.AVAILABLE)
        self.refresh()  # a failure may have kept the partial file (resumable) or deleted it
