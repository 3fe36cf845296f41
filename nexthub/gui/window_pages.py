"""The main window's other windows: Settings, the model manager, and Privacy and data.

Each opens when the window asks (Ctrl+, or the Settings action; "Manage
models…" from the menu, the status bar or the no-model banner; "Privacy and
data…"). Asking again brings the open one to the front. All three are
separate top-level windows parented to the main window, so they close with
it and, when the hub under them is closed, go with it. The model manager and
the Privacy page are made once and kept while hidden (a download or an import
goes on behind a closed manager); Settings is made afresh each time, so it
always shows what is saved.

What connects them:

- the model manager loads through the window's own ``ModelLoader``, whose
  ``loaded`` already tells the chat view and the status bar, so its
  ``model_loaded`` needs no connection of its own (it would tell them twice);
- the installed models changed (import, remove, download):
  :attr:`WindowPages.models_changed` for the window, and the open Settings'
  default-model list and Privacy page's sizes are read again;
- Settings saved: the manager reads its list again, because context size and
  GPU layers change where a model fits;
- "Delete all my data" runs through ``before_wipe`` (the chat view stops its
  answer first, so nothing writes to the store being deleted);
- Privacy's ``data_wiped`` and ``hub_closed``: the hub is closed under every
  widget of the window, so they are passed on for the app to drop the window
  (:attr:`data_wiped`, :attr:`hub_closed`), with what the page said.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

from nexthub.gui.model_loader import ModelLoader
from nexthub.gui.model_manager import ModelManager
from nexthub.gui.privacy_page import PrivacyPage
from nexthub.gui.settings_dialog import SettingsDialog
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.web_server_switch import WebServerSwitch
from nexthub.service.hub import Hub
from nexthub.service.settings import AppSettings

#: Milliseconds between looks at whether a retired widget's tasks have all finished.
IDLE_POLL_MS = 200


class WindowPages(QObject):
    """Opens and connects the window's Settings, model manager and Privacy page."""

    #: The installed models changed (import, remove, download): lists of models are stale.
    models_changed = Signal()
    #: Every chat and the key were deleted and the hub is closed: back to first run.
    #: Carries a warning to pass on (the keyring kept its entry), or "".
    data_wiped = Signal(str)
    #: Deleting failed after the hub was closed; the chats are intact: open them again.
    #: Carries what went wrong, as the Privacy page said it.
    hub_closed = Signal(str)

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        window: QWidget,
        loader: ModelLoader,
        *,
        before_wipe: Callable[[Callable[[], None]], None] | None = None,
        server: WebServerSwitch | None = None,
    ) -> None:
        super().__init__(window)
        self._server = server
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._window = window
        self._loader = loader
        self._before_wipe = before_wipe
        #: The Settings dialog on screen (None when it is closed).
        self.settings: SettingsDialog | None = None
        #: The model manager, once opened (kept while hidden).
        self.models: ModelManager | None = None
        #: The Privacy and data page, once opened (kept while hidden).
        self.privacy: PrivacyPage | None = None

    @Slot()
    def open_settings(self) -> SettingsDialog:
        """Show Settings (a fresh dialog, or the one already open)."""
        if self.settings is None:
            dialog = SettingsDialog(self._hub, self._tasks, self._window, server=self._server)
            dialog.settings_saved.connect(self._settings_saved)
            dialog.finished.connect(lambda _result: self._settings_closed(dialog))
            self.settings = dialog
        _to_front(self.settings)
        return self.settings

    @Slot()
    def open_models(self) -> ModelManager:
        """Show the model manager."""
        if self.models is None:
            manager = ModelManager(self._hub, self._tasks, self._window, loader=self._loader)
            _as_window(manager, "Models", 900, 560)
            manager.models_changed.connect(self._models_changed)
            self.models = manager
        _to_front(self.models)
        return self.models

    @Slot()
    def open_privacy(self) -> PrivacyPage:
        """Show the Privacy and data page, its sizes measured again."""
        if self.privacy is None:
            page = PrivacyPage(self._hub, self._tasks, self._window, before_wipe=self._before_wipe)
            _as_window(page, "Privacy and data", 760, 680)
            page.data_wiped.connect(self._data_wiped)
            page.hub_closed.connect(self._hub_closed)
            self.privacy = page
        elif self.privacy.isHidden():
            self.privacy.refresh()
        _to_front(self.privacy)
        return self.privacy

    def import_models(self, paths: Sequence[Path]) -> None:
        """Import dropped model files (window or message box); the manager says how it went."""
        manager = self.open_models()
        manager.tabs.setCurrentWidget(manager.installed)
        manager.installed.import_files(paths)

    def hide_all(self) -> None:
        """Hide every page (the window is going away)."""
        for page in (self.settings, self.models, self.privacy):
            if page is not None:
                page.hide()

    # -- Reactions ---------------------------------------------------------------------------

    @Slot(object)
    def _settings_saved(self, settings: AppSettings) -> None:
        if self.models is not None:
            self.models.refresh()  # context size and GPU layers change the fit
        if self._server is not None:
            self._server.apply(settings.web_gui_enabled)

    def _settings_closed(self, dialog: SettingsDialog) -> None:
        if dialog is self.settings:
            self.settings = None
        delete_when_idle(dialog, self._tasks)

    @Slot()
    def _models_changed(self) -> None:
        if self.settings is not None:
            self.settings.refresh_models()
        if self.privacy is not None and self.privacy.isVisible():
            self.privacy.refresh()
        self.models_changed.emit()

    @Slot()
    def _data_wiped(self) -> None:
        assert self.privacy is not None
        notice = self.privacy.wipe_notice
        self.data_wiped.emit(notice.text() if notice.kind == "error" else "")

    @Slot()
    def _hub_closed(self) -> None:
        assert self.privacy is not None
        self.hub_closed.emit(self.privacy.wipe_notice.text())


def delete_when_idle(widget: QWidget, tasks: TaskRunner) -> None:
    """Hide ``widget`` now; delete it once no background task is left to call back into it.

    Each widget's own view of the runner skips callbacks once the widget is
    gone (``TaskRunner.owned_by``); waiting until nothing is pending also
    lets the work behind them (a wipe, a save) finish before the page goes.
    """
    widget.hide()
    timer = QTimer(widget)
    timer.setInterval(IDLE_POLL_MS)

    def check() -> None:
        if tasks.pending() == 0:
            timer.stop()
            widget.deleteLater()

    timer.timeout.connect(check)
    timer.start()


def _as_window(widget: QWidget, title: str, width: int, height: int) -> None:
    widget.setWindowFlag(Qt.WindowType.Window)
    widget.setWindowTitle(title)
    widget.resize(width, height)


def _to_front(widget: QWidget) -> None:
    widget.show()
    widget.raise_()
    widget.activateWindow()
