"""Settings: threads, GPU layers, context size, default model, theme, and the web GUI switch.

What is typed is read by :class:`nexthub.service.settings_form.SettingsForm`
and saved by ``Hub.change_settings``, which refuses an invalid value; either
way the message says which field is wrong and what it accepts, and the
dialog stays open with what the user typed. Engine settings (threads, GPU
layers, context) apply to the next model load; the theme applies at once.

The web GUI switch and its port apply when saved (:class:`WebServerSwitch`
starts or stops the server). While it runs, the dialog shows its address
and offers a one-time login link: copied, or opened in the browser. Each
link works once; another click makes another.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from nexthub.gui.notice import Notice
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import apply_theme
from nexthub.gui.web_gui_settings import WebGuiSettings
from nexthub.gui.web_server_switch import WebServerSwitch
from nexthub.gui.widgets import line_field, refill, text_label
from nexthub.models import InstalledModel
from nexthub.service.hub import Hub
from nexthub.service.settings import THEMES, AppSettings
from nexthub.service.settings_form import AUTO_TEXT, SettingsForm

_THEME_NAMES = {"system": "Follow the system", "light": "Light", "dark": "Dark"}
#: The default-model choice that lets NextHub pick (the starter, else the first installed).
AUTOMATIC_MODEL = "Automatic (the starter model, else the first installed)"


class SettingsDialog(QDialog):
    """Edit and save the app's settings (see the module docstring)."""

    #: The settings were saved: the new AppSettings.
    settings_saved = Signal(object)

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        parent: QWidget | None = None,
        server: WebServerSwitch | None = None,
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._server = server
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        settings = hub.settings
        form = SettingsForm.of(settings)

        self.threads = line_field(form.threads, "Threads", self)
        self.gpu_layers = line_field(form.gpu_layers, "GPU layers", self)
        self.context_size = line_field(form.context_size, "Context size", self)
        self.default_model = QComboBox(self)
        self.default_model.setAccessibleName("Default model")
        self.default_model.addItem(AUTOMATIC_MODEL, None)
        if settings.default_model:  # shown by id until the list of models arrives
            self.default_model.addItem(settings.default_model, settings.default_model)
            self.default_model.setCurrentIndex(1)
        self.theme = QComboBox(self)
        self.theme.setAccessibleName("Theme")
        for theme in THEMES:
            self.theme.addItem(_THEME_NAMES[theme], theme)
        self.theme.setCurrentIndex(THEMES.index(settings.theme))

        fields = QFormLayout()
        fields.addRow("Threads", self.threads)
        fields.addRow("", _hint(f"'{AUTO_TEXT}': as many as the CPU has cores", self))
        fields.addRow("GPU layers", self.gpu_layers)
        fields.addRow("", _hint(f"'{AUTO_TEXT}': as many as fit in free GPU memory; 0: CPU", self))
        fields.addRow("Context size", self.context_size)
        fields.addRow("", _hint(f"tokens; '{AUTO_TEXT}': the model's own (up to 32,768)", self))
        fields.addRow("Default model", self.default_model)
        fields.addRow("Theme", self.theme)
        self.web = WebGuiSettings(hub, form.web_port or "", server, self)
        self.web.add_rows(fields)

        self.notice = Notice("Settings message", self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save the settings")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Close without saving")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(fields)
        layout.addWidget(self.notice)
        layout.addWidget(self.buttons)

        self.web.link_copied.connect(
            lambda: self.notice.show_info("Copied a login link. It works once, in one browser.")
        )
        self.refresh_models()

    def refresh_models(self) -> None:
        """Read the installed models again for the default-model list (the choice is kept)."""
        self._tasks.run(self._hub.models.registry.list, self._show_models, self.notice.show_problem)

    def _show_models(self, models: list[InstalledModel]) -> None:
        choices = ((model.display_name, model.id) for model in models)
        refill(self.default_model, AUTOMATIC_MODEL, choices, keep_missing="{} (not installed)")

    @Slot()
    def save(self) -> None:
        """Check what was typed and save it; stay open with a message if it is refused."""
        self.notice.clear_message()
        try:
            changes = self.changes()
        except ValueError as problem:
            self.notice.show_error(str(problem))
            return
        self.save_button.setEnabled(False)
        self._tasks.run(lambda: self._hub.change_settings(**changes), self._saved, self._refused)

    def changes(self) -> dict[str, Any]:
        """The settings as shown, as ``change_settings`` keywords (ValueError if invalid)."""
        form = SettingsForm(
            threads=self.threads.text(),
            gpu_layers=self.gpu_layers.text(),
            context_size=self.context_size.text(),
            web_port=self.web.port.text(),
        )
        return form.changes() | {
            "default_model": self.default_model.currentData(),
            "theme": self.theme.currentData(),
            "web_gui_enabled": self.web.enabled.isChecked(),
        }

    def _saved(self, settings: AppSettings) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, settings.theme)
        self.settings_saved.emit(settings)
        self.accept()

    def _refused(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, ValueError):  # AppSettings refused a value: the user's to fix
            self.notice.show_error(f"Not saved: {error}.")
        else:
            self.notice.show_problem(error)


def _hint(text: str, parent: QWidget) -> QWidget:
    hint = text_label(text, text, parent)
    hint.setEnabled(False)  # drawn in the dimmer disabled colour
    return hint
