"""Privacy and data's telemetry part: on or off, and the exact next report.

The report shown is :func:`~nexthub.service.telemetry_access.next_report`, the
bytes ``nexthub telemetry show`` prints first. Turning telemetry off deletes
everything it kept on this computer and sends nothing. With ``DO_NOT_TRACK``
set, the switch is off and disabled, and a note says why.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QCheckBox, QGroupBox, QVBoxLayout, QWidget

from nexthub.gui.notice import Notice
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.telemetry_choice import report_view
from nexthub.gui.widgets import text_label
from nexthub.service.hub import Hub
from nexthub.service.telemetry_access import (
    Consent,
    TelemetryStatus,
    set_consent,
    telemetry_status,
)

SWITCH_TEXT = "Send anonymous usage totals once a week"
ABOUT = (
    "Which features are used, how fast models run, crash signatures and coarse device "
    "classes; never what you type, load or generate, and no identifier. Below is the next "
    "report, exactly as it would be sent. Turning this off deletes everything telemetry kept "
    "on this computer."
)
FORCED_OFF_NOTE = "Off: the DO_NOT_TRACK setting of your environment keeps telemetry off."
ASK_NOTE = "Off: not chosen yet, or what a report can contain changed since you said yes."


class TelemetryBox(QGroupBox):
    """The switch, a note on the state, and the next report."""

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Usage statistics", parent)
        self.setAccessibleName("Usage statistics")
        self._telemetry = hub.telemetry
        self._tasks = tasks.owned_by(self)
        self.switch = QCheckBox(SWITCH_TEXT, self)
        self.switch.setAccessibleName(SWITCH_TEXT)
        self.switch.clicked.connect(self._switched)
        self.note = text_label("", "Telemetry state", self)
        self.report = report_view(b"", "Next report", self)
        self.report.setMinimumHeight(120)
        self.notice = Notice("Usage statistics message", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.switch)
        layout.addWidget(text_label(ABOUT, "About usage statistics", self))
        layout.addWidget(self.note)
        layout.addWidget(self.report)
        layout.addWidget(self.notice)

    @Slot()
    def refresh(self) -> None:
        """Read the consent and the next report again (off the main thread)."""
        telemetry = self._telemetry
        self._tasks.run(lambda: telemetry_status(telemetry), self._show, self.notice.show_problem)

    def _show(self, status: TelemetryStatus) -> None:
        self.switch.setChecked(status.consent is Consent.ON)
        self.switch.setEnabled(status.consent is not Consent.FORCED_OFF)
        note = {Consent.FORCED_OFF: FORCED_OFF_NOTE, Consent.ASK: ASK_NOTE}.get(status.consent, "")
        self.note.setText(note)
        self.note.setVisible(bool(note))
        self.report.setPlainText(status.next_report.decode("ascii"))

    @Slot(bool)
    def _switched(self, on: bool) -> None:
        telemetry = self._telemetry
        self.switch.setEnabled(False)
        self._tasks.run(
            lambda: set_consent(telemetry, on),
            lambda _consent: self.refresh(),
            self._failed,
        )

    def _failed(self, error: BaseException) -> None:
        self.notice.show_problem(error)
        self.refresh()
