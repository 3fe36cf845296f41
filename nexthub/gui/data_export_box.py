"""Export chats from the Privacy page: all as JSON (optionally encrypted), or one as Markdown.

The export itself is :mod:`nexthub.service.data_export`, the same code as
``nexthub data export``; this box only gathers the choices: which
conversations, the format, and a passphrase typed twice when the export is
to be encrypted. The file is written readable only by the user, and an
unencrypted export says so.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QWidget,
)

from nexthub.errors import NextHubError
from nexthub.gui.notice import Notice
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import button, refill, secret_field
from nexthub.service.data_export import (
    NOT_ENCRYPTED_WARNING,
    Export,
    ExportFormat,
    export_chats,
    seal_export,
    write_export,
)
from nexthub.service.hub import Hub
from nexthub.service.key_protection import check_new_passphrase
from nexthub.store.records import Conversation

ALL_CONVERSATIONS = "All conversations"
_FORMATS = {"json": "JSON (can be imported again)", "md": "Markdown (one conversation, to read)"}


class DataExportBox(QGroupBox):
    """Choose what to export and how, then pick a file."""

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__("Export your chats", parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self.setAccessibleName("Export your chats")
        self.conversation = QComboBox(self)
        self.conversation.setAccessibleName("Conversations to export")
        self.conversation.addItem(ALL_CONVERSATIONS, None)
        self.export_format = QComboBox(self)
        self.export_format.setAccessibleName("Export format")
        for key, name in _FORMATS.items():
            self.export_format.addItem(name, key)
        self.encrypt = QCheckBox("Encrypt the export with a passphrase", self)
        self.encrypt.setAccessibleName("Encrypt the export")
        self.passphrase = secret_field("Export passphrase", self)
        self.passphrase_again = secret_field("Export passphrase again", self)
        self.export_button = button("Export…", "Export to a file", self)
        self.notice = Notice("Export message", self)

        layout = QFormLayout(self)
        layout.addRow("Conversations", self.conversation)
        layout.addRow("Format", self.export_format)
        layout.addRow("", self.encrypt)
        layout.addRow("Passphrase", self.passphrase)
        layout.addRow("Passphrase again", self.passphrase_again)
        layout.addRow("", self.export_button)
        layout.addRow(self.notice)

        self.export_format.currentIndexChanged.connect(self._update)
        self.conversation.currentIndexChanged.connect(self._update)
        self.encrypt.toggled.connect(self._update)
        self.export_button.clicked.connect(self.choose_file)
        self._update()

    def refresh(self) -> None:
        """List the conversations again (off the main thread)."""
        self._tasks.run(
            lambda: (
                self._hub.conversations.page(limit=10_000)
                + self._hub.conversations.page(archived=True, limit=10_000)
            ),
            self._show_conversations,
            self.notice.show_problem,
        )

    def _show_conversations(self, conversations: list[Conversation]) -> None:
        choices = ((conversation.title, conversation.id) for conversation in conversations)
        refill(self.conversation, ALL_CONVERSATIONS, choices, keep_missing="")

    @Slot()
    def _update(self) -> None:
        """Markdown is of one conversation and never encrypted; passphrases only to encrypt."""
        markdown = self.export_format.currentData() == "md"
        self.encrypt.setEnabled(not markdown)
        if markdown:
            self.encrypt.setChecked(False)
        encrypting = self.encrypt.isChecked()
        self.passphrase.setEnabled(encrypting)
        self.passphrase_again.setEnabled(encrypting)
        self.export_button.setEnabled(not markdown or self.conversation.currentData() is not None)

    @Slot()
    def choose_file(self) -> None:
        """Ask where to save, then export there."""
        self.notice.clear_message()
        export_format: ExportFormat = "md" if self.export_format.currentData() == "md" else "json"
        passphrase = None
        if self.encrypt.isChecked():
            try:
                passphrase = check_new_passphrase(
                    self.passphrase.text(), self.passphrase_again.text()
                )
            except NextHubError as problem:
                self.notice.show_error(str(problem))
                return
        suggested = str(Path.home() / f"nexthub-chats.{export_format}")
        filters = "Markdown (*.md)" if export_format == "md" else "JSON (*.json)"
        name, _filter = QFileDialog.getSaveFileName(self, "Export your chats", suggested, filters)
        if name:
            self.export_to(Path(name), export_format, passphrase)

    def export_to(self, target: Path, export_format: ExportFormat, passphrase: str | None) -> None:
        """Export to ``target`` off the main thread and say what was written."""
        conversation_id = self.conversation.currentData()
        store, telemetry = self._hub.store, self._hub.telemetry

        def work() -> tuple[Path, Export]:
            export = export_chats(
                store,
                conversation_id=conversation_id,
                export_format=export_format,
                telemetry=telemetry,
            )
            if passphrase is not None:
                export = seal_export(export, passphrase)
            return write_export(target, export), export

        self.export_button.setEnabled(False)
        self._tasks.run(work, self._exported, self._failed)

    def _exported(self, outcome: tuple[Path, Export]) -> None:
        target, export = outcome
        self._update()
        self.passphrase.clear()
        self.passphrase_again.clear()
        text = f"Exported {export.description} to {target} (readable only by you)."
        if not export.encrypted and not export.markdown:
            text += " " + NOT_ENCRYPTED_WARNING
        self.notice.show_info(text)

    def _failed(self, error: BaseException) -> None:
        self._update()
        self.notice.show_problem(error)
