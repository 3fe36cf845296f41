"""Privacy and data: where everything is, export, the key's protection, telemetry, deleting it all.

The places and their sizes are :func:`nexthub.service.data_places.data_places`,
the list ``nexthub data path`` prints. "Delete all my data" (everything NextHub
keeps but the user's own models added by reference) first shows exactly what
will go (:func:`~nexthub.service.data_places.wipe_plan`, what ``nexthub data
wipe`` shows), asks, and then wipes through the same code; its "Keep
downloaded models" box is ``nexthub data wipe --keep-models``.
The wipe closes the hub (a database cannot be deleted under an open
connection), so afterwards the window must let go of it: :attr:`PrivacyPage.data_wiped`
says "go back to first run", :attr:`PrivacyPage.hub_closed` says "the wipe
failed, the chats are intact: open them again". An answer being written is
stopped first (``before_wipe``, the window's chat view), so nothing writes to
the store while it is deleted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QGroupBox,
    QHeaderView,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.data_export_box import DataExportBox
from nexthub.gui.key_protection_box import KeyProtectionBox
from nexthub.gui.notice import Notice, confirm
from nexthub.gui.tasks import TaskRunner, right_away
from nexthub.gui.telemetry_box import TelemetryBox
from nexthub.gui.widgets import button, text_label
from nexthub.service.data_places import (
    WIPE_CONSEQUENCES,
    DataPlace,
    WipePlan,
    WipeReport,
    data_places,
    wipe_hub_data,
    wipe_plan,
)
from nexthub.service.hub import Hub


class PrivacyPage(QWidget):
    """The Privacy and data page (see the module docstring)."""

    #: Every chat and the key were deleted and the hub is closed: return to first run.
    data_wiped = Signal()
    #: The wipe failed after the hub was closed; the chats are intact: reopen them.
    hub_closed = Signal()

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        *,
        before_wipe: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        #: Runs its argument once nothing writes to the store (see the module docstring).
        self._before_wipe = before_wipe or right_away
        self.setAccessibleName("Privacy and data")

        self.places = QTableWidget(0, 3, self)
        self.places.setAccessibleName("Where your data is")
        self.places.setHorizontalHeaderLabels(("What", "Size", "Where"))
        self.places.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.places.verticalHeader().setVisible(False)
        self.places.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.places.horizontalHeader().setStretchLastSection(True)
        self.places.setMinimumHeight(220)
        self.refresh_button = button("Refresh", "Measure the data folders again", self)
        self.refresh_button.clicked.connect(self.refresh)
        places_box = _box("Where your data is", self.places, self.refresh_button)

        self.export_box = DataExportBox(hub, tasks, self)
        self.protection_box = KeyProtectionBox(hub, tasks, self)
        self.telemetry_box = TelemetryBox(hub, tasks, self)

        self.keep_models = QCheckBox("Keep downloaded models", self)
        self.keep_models.setAccessibleName("Keep downloaded models")
        self.keep_models.setToolTip(
            "Keep the models NextHub downloaded or copied, for a later install"
        )
        self.wipe_button = button("Delete all my data…", "Delete everything NextHub keeps", self)
        self.wipe_button.clicked.connect(self.ask_to_wipe)
        self.wipe_notice = Notice("Delete all my data message", self)
        wipe_box = _box(
            "Delete all my data",
            text_label(
                f"Deletes everything NextHub keeps on this computer. {WIPE_CONSEQUENCES}",
                "What deleting all data does",
                self,
            ),
            self.keep_models,
            self.wipe_button,
            self.wipe_notice,
        )
        self.notice = Notice("Privacy page message", self)

        content = QWidget(self)
        layout = QVBoxLayout(content)
        for widget in (
            self.notice,
            places_box,
            self.export_box,
            self.protection_box,
            self.telemetry_box,
            wipe_box,
        ):
            layout.addWidget(widget)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Measure the folders, list the conversations and read the key's protection again."""
        paths = self._hub.paths
        self._tasks.run(lambda: data_places(paths), self._show_places, self.notice.show_problem)
        self.export_box.refresh()
        self.protection_box.refresh()
        self.telemetry_box.refresh()

    def _show_places(self, places: list[DataPlace]) -> None:
        self.places.setRowCount(len(places))
        for row, place in enumerate(places):
            for column, text in enumerate((place.what, place.size_text, place.where)):
                self.places.setItem(row, column, QTableWidgetItem(text))

    @Slot()
    def ask_to_wipe(self) -> None:
        """Find out exactly what would be deleted, then ask."""
        self.wipe_notice.clear_message()
        paths = self._hub.paths
        keep_models = self.keep_models.isChecked()
        self._tasks.run(
            lambda: wipe_plan(paths, keep_models=keep_models),
            lambda plan: self._confirm_wipe(plan, keep_models=keep_models),
            self.wipe_notice.show_problem,
        )

    def _confirm_wipe(self, plan: WipePlan, *, keep_models: bool) -> None:
        if not plan:
            self.wipe_notice.show_info("There is nothing to delete.")
            return
        listing = plan.goes_text()
        kept = "".join(f"\nIt keeps {p.where}" for p in plan.stays)
        if not confirm(
            self,
            "Delete all my data",
            "This deletes, for good:\n\n" + listing + kept,
            action="Delete everything",
            details=f"{plan.consequences} To keep your chats, export them first.",
        ):
            self.wipe_notice.show_info("Nothing was deleted.")
            return
        self.wipe_button.setEnabled(False)
        hub = self._hub

        def wipe() -> None:
            self._tasks.run(
                lambda: wipe_hub_data(hub, keep_models=keep_models), self._wiped, self._wipe_failed
            )

        self._before_wipe(wipe)

    def _wiped(self, report: WipeReport) -> None:
        text = "Deleted every chat and its key, and everything else NextHub kept."
        if report.kept:
            text += " Kept: " + ", ".join(str(path) for path in report.kept) + "."
        if report.warning:
            self.wipe_notice.show_error(f"{text} {report.warning}")
        else:
            self.wipe_notice.show_info(text)
        self.data_wiped.emit()

    def _wipe_failed(self, error: BaseException) -> None:
        self.wipe_notice.show_problem(error)
        self.hub_closed.emit()


def _box(title: str, *widgets: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    box.setAccessibleName(title)
    layout = QVBoxLayout(box)
    for widget in widgets:
        layout.addWidget(widget)
    return box
