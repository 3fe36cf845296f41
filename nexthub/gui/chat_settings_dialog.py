"""Chat > Chat settings…: the shown chat's model, system prompt and sampling, with presets.

The settings are the conversation's own (saved with it by
``ChatSession.configure``; a new chat keeps them for its first message).
A preset fills temperature and top-p; typing other numbers shows "Custom".
What is typed is read by :mod:`nexthub.service.chat_settings`, which names
every field that is wrong; the dialog then stays open with what was typed.
Choosing another model loads it (the one model the engine holds), after the
answer being written, if any, is stopped and kept.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.model_loader import ModelLoader
from nexthub.gui.notice import Notice
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.widgets import line_field
from nexthub.models import InstalledModel
from nexthub.service.chat_session import ChatSession
from nexthub.service.chat_settings import CUSTOM, PRESETS, ChatSettingsForm, preset_of
from nexthub.service.hub import Hub

#: The model list's first line while no model is loaded.
NO_MODEL = "(no model loaded)"


class ChatSettingsDialog(QDialog):
    """Edit one chat's settings (see the module docstring)."""

    #: The settings were saved.
    saved = Signal()

    def __init__(
        self,
        session: ChatSession,
        hub: Hub,
        tasks: TaskRunner,
        loader: ModelLoader,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._session = session
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._loader = loader
        self._loaded_id: str | None = None
        self.setWindowTitle("Chat settings")
        self.setAccessibleName("Chat settings")
        self.setModal(True)
        form = ChatSettingsForm.of(session.sampling)

        self.model = QComboBox(self)
        self.model.setAccessibleName("Model for this chat")
        self.system_prompt = QPlainTextEdit(session.system_prompt, self)
        self.system_prompt.setAccessibleName("System prompt")
        self.system_prompt.setPlaceholderText("How the model should answer in this chat")
        self.preset = QComboBox(self)
        self.preset.setAccessibleName("Preset")
        self.preset.addItems([*PRESETS, CUSTOM])
        self.temperature = line_field(form.temperature, "Temperature", self)
        self.top_p = line_field(form.top_p, "Top p", self)
        self.max_tokens = line_field(form.max_tokens, "Max tokens", self)
        self.max_tokens.setPlaceholderText("no limit")
        self.seed = line_field(form.seed, "Seed", self)
        self.seed.setPlaceholderText("a new one each time")
        self._show_preset()
        self.preset.textActivated.connect(self._apply_preset)
        self.temperature.textEdited.connect(self._show_preset)
        self.top_p.textEdited.connect(self._show_preset)

        fields = QFormLayout()
        fields.addRow("Model", self.model)
        fields.addRow("System prompt", self.system_prompt)
        fields.addRow("Preset", self.preset)
        fields.addRow("Temperature", self.temperature)
        fields.addRow("Top p", self.top_p)
        fields.addRow("Max tokens", self.max_tokens)
        fields.addRow("Seed", self.seed)
        self.notice = Notice("Chat settings message", self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save this chat's settings")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            "Close without saving"
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addWidget(self.notice)
        layout.addWidget(buttons)
        self._tasks.run(self._hub.models.registry.list, self._show_models, self.notice.show_problem)

    # -- what the user does -------------------------------------------------------------------

    @Slot()
    def save(self) -> None:
        """Check what was typed and save it with the chat; stay open with a message if not."""
        self.notice.clear_message()
        try:
            sampling = self._form().read(self._session.sampling)
        except ValueError as problem:
            self.notice.show_error(str(problem))
            return
        system_prompt = self.system_prompt.toPlainText().strip()
        session = self._session
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: session.configure(sampling=sampling, system_prompt=system_prompt),
            self._saved,
            self._failed,
        )

    # -- reactions ---------------------------------------------------------------------------

    def _form(self) -> ChatSettingsForm:
        return ChatSettingsForm(
            temperature=self.temperature.text(),
            top_p=self.top_p.text(),
            max_tokens=self.max_tokens.text(),
            seed=self.seed.text(),
        )

    @Slot(str)
    def _apply_preset(self, name: str) -> None:
        if name in PRESETS:
            temperature, top_p = PRESETS[name]
            self.temperature.setText(f"{temperature:g}")
            self.top_p.setText(f"{top_p:g}")

    @Slot()
    def _show_preset(self) -> None:
        try:
            shown = preset_of(self._form().read(self._session.sampling))
        except ValueError:
            shown = CUSTOM
        self.preset.setCurrentText(shown)

    def _show_models(self, models: list[InstalledModel]) -> None:
        loaded = self._hub.loaded_model
        self.model.clear()
        if loaded is None:
            self.model.addItem(NO_MODEL, None)  # choosing one loads it; leaving this, nothing
        for model in models:
            self.model.addItem(model.display_name, model.id)
            if loaded is not None and model.path == loaded.path:
                self._loaded_id = model.id
                self.model.setCurrentIndex(self.model.count() - 1)

    def _saved(self, _result: object) -> None:
        chosen = self.model.currentData()
        if isinstance(chosen, str) and chosen != self._loaded_id:
            self._loader.load(chosen)  # stops an answer first (kept as far as it got)
        self.saved.emit()
        self.accept()

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.notice.show_problem(error)
