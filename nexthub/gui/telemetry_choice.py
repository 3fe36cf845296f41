"""The telemetry question: equal-weight Yes and No, and a Preview of the exact report.

Asked in the first-run welcome and again, in :class:`TelemetryQuestion`, when
the report's contents changed since the user said yes (the consent is ASK).
Yes and No are two radio buttons of the same kind, font and size, one under
the other; "No" starts selected, so a user who clicks on without reading
sends nothing. Preview shows the bytes :meth:`Telemetry.sample` would send,
exactly, in a read-only monospace view.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.theme import app_icon
from nexthub.gui.widgets import button, text_label

TELEMETRY_QUESTION = (
    "May NextHub send anonymous usage totals once a week? They help decide what to fix and "
    "build: which features are used, how fast models run, crash signatures and coarse device "
    "classes. Never what you type, load or generate, and no identifier of any kind. "
    "You can change this at any time under Privacy and data."
)
YES_TEXT = "Yes, send anonymous weekly totals"
NO_TEXT = "No, send nothing"
ASKED_AGAIN = (
    "What the weekly report can contain has changed since you said yes, so NextHub asks "
    "again. Until you answer, nothing is recorded or sent."
)


def report_view(body: bytes, accessible_name: str, parent: QWidget) -> QPlainTextEdit:
    """A read-only, monospace view of a report's exact bytes."""
    view = QPlainTextEdit(parent)
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
    view.setAccessibleName(accessible_name)
    view.setPlainText(body.decode("ascii"))
    return view


class ReportPreview(QDialog):
    """The exact report, as it would be sent."""

    def __init__(self, body: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("The report, exactly as it would be sent")
        self.setAccessibleName("Report preview")
        layout = QVBoxLayout(self)
        layout.addWidget(
            text_label(
                "These are the exact bytes of this week's report with nothing counted yet. "
                "Counts are added as you use NextHub; nothing else is ever added.",
                "About the preview",
                self,
            )
        )
        self.text = report_view(body, "Report preview", self)
        self.text.setMinimumSize(560, 200)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class TelemetryChoice(QGroupBox):
    """The question, its two answers and the Preview button."""

    def __init__(self, sample: bytes, parent: QWidget | None = None) -> None:
        super().__init__("Usage statistics", parent)
        self.setObjectName("telemetryChoice")
        self.setAccessibleName("Usage statistics")
        self._sample = sample
        column = QVBoxLayout(self)
        column.addWidget(text_label(TELEMETRY_QUESTION, "Usage statistics question", self))
        self.group = QButtonGroup(self)
        self.yes_choice = QRadioButton(YES_TEXT, self)
        self.no_choice = QRadioButton(NO_TEXT, self)
        for choice in (self.yes_choice, self.no_choice):
            choice.setAccessibleName(choice.text())
            self.group.addButton(choice)
            column.addWidget(choice)
        self.no_choice.setChecked(True)
        self.preview_button = button("Preview the report…", "Preview the report", self)
        self.preview_button.clicked.connect(self.preview)
        column.addWidget(self.preview_button)
        #: The preview on screen (tests read it); None before the first click.
        self.preview_dialog: ReportPreview | None = None

    def answer(self) -> bool:
        """True for yes."""
        return self.yes_choice.isChecked()

    @Slot()
    def preview(self) -> None:
        """Show the exact bytes of the report."""
        if self.preview_dialog is None:
            self.preview_dialog = ReportPreview(self._sample, self)
        self.preview_dialog.show()


class TelemetryQuestion(QDialog):
    """The question again, after the report's schema changed; closing it answers nothing."""

    def __init__(self, sample: bytes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Usage statistics")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("Usage statistics")
        layout = QVBoxLayout(self)
        layout.addWidget(text_label(ASKED_AGAIN, "Why NextHub asks again", self))
        self.choice = TelemetryChoice(sample, self)
        layout.addWidget(self.choice)
        buttons = QDialogButtonBox(self)
        self.done_button = QPushButton("Continue", self)
        self.done_button.setAccessibleName("Continue")
        self.done_button.setDefault(True)
        buttons.addButton(self.done_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.done_button.clicked.connect(self.accept)
        layout.addWidget(buttons)
