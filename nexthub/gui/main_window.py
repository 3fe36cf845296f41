"""The main window: the sidebar beside the chat, a problem banner, the model in the status bar.

It wires the parts together and owns the keyboard: Ctrl+N new chat, Ctrl+F
search, Esc stops the answer (the chat view does the stopping), Ctrl+,
settings. Settings, the model manager and Privacy and data are other windows:
this one asks for them through :attr:`MainWindow.settings_requested`,
:attr:`MainWindow.models_requested` and :attr:`MainWindow.privacy_requested`,
which its :class:`~nexthub.gui.window_pages.WindowPages` answers. GGUF files
dropped on the window, the message box included, are imported in the model manager.

When "Delete all my data" closes the hub under it, the window is let go
(:meth:`MainWindow.discard`) and the app starts over (:mod:`nexthub.gui.app`).
File > Uninstall NextHub… (on macOS in the application menu, where it is the
only way to delete the data) is its :attr:`MainWindow.uninstaller`
(:mod:`nexthub.gui.uninstaller`); the app quits when it is done.

Every failure that reaches it (a model that does not load, a crash of the
worker, a locked database, a full disk, a problem from the chat view) goes to
the :class:`~nexthub.gui.banner.ErrorBanner`; nothing here is modal, so the
window stays usable.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter, QVBoxLayout, QWidget

from nexthub.gui.banner import ErrorBanner
from nexthub.gui.chat_panel import ChatPanel
from nexthub.gui.chat_settings_dialog import ChatSettingsDialog
from nexthub.gui.dropped_models import model_files
from nexthub.gui.model_loader import ModelLoader
from nexthub.gui.model_status import ModelStatus
from nexthub.gui.sidebar import Sidebar
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import app_icon
from nexthub.gui.uninstaller import Uninstaller
from nexthub.gui.web_server_switch import WebServerSwitch
from nexthub.gui.window_pages import WindowPages, delete_when_idle
from nexthub.service.hub import Hub

NO_MODEL_MESSAGE = (
    "No model is installed yet, so nothing can answer. Open Manage models… to download one "
    "from NextHub's catalog or to import a GGUF file you already have."
)


class MainWindow(QMainWindow):
    """The desktop app's window (see the module docstring)."""

    #: The user asked for Settings (Ctrl+,); :attr:`pages` opens it.
    settings_requested = Signal()
    #: The user asked for the model manager; :attr:`pages` opens it.
    models_requested = Signal()
    #: The user asked for Privacy and data; :attr:`pages` opens it.
    privacy_requested = Signal()
    #: The window was closed: the app quits.
    closed = Signal()

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._shown: str | None = None
        self._menus_by_title: dict[str, QMenu] = {}
        self.setWindowTitle("NextHub")
        self.setWindowIcon(app_icon())
        self.setAccessibleName("NextHub")
        self.resize(1100, 720)

        self.sidebar = Sidebar(hub, tasks)
        self.chat = ChatPanel(hub, tasks)
        self.banner = ErrorBanner()
        # A load, or deleting all data, first stops the answer being written (kept so far).
        self.loader = ModelLoader(hub, tasks, self, before_load=self.chat.stop_then)
        self.model_status = ModelStatus(self.loader)
        # The localhost web GUI and API, while Settings say so; stopped before a wipe.
        self.web_server = WebServerSwitch(hub, tasks, self)
        self.pages = WindowPages(
            hub, tasks, self, self.loader, before_wipe=self._before_wipe, server=self.web_server
        )
        self.uninstaller = Uninstaller(hub, tasks, self, before_wipe=self._before_wipe)
        self.setAcceptDrops(True)
        self._layout()
        self._menus()
        self._connect()

    # -- Building ---------------------------------------------------------------------------

    def _layout(self) -> None:
        right = QWidget(self)
        right.setAccessibleName("Chat area")
        column = QVBoxLayout(right)
        column.setContentsMargins(4, 8, 8, 4)
        column.addWidget(self.banner)
        column.addWidget(self.chat, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setAccessibleName("Sidebar and chat")
        splitter.addWidget(self.sidebar)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.sidebar.setMinimumWidth(220)
        splitter.setSizes([270, 830])
        self.setCentralWidget(splitter)
        self.statusBar().setAccessibleName("Status")
        self.statusBar().addPermanentWidget(self.model_status)

    def _add(
        self, menu_title: str, text: str, slot: Callable[[], object], keys: str | None = None
    ) -> QAction:
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self._menu(menu_title).addAction(action)
        return action

    def _menu(self, title: str) -> QMenu:
        if title not in self._menus_by_title:
            self._menus_by_title[title] = self.menuBar().addMenu(title)
        return self._menus_by_title[title]

    def _menus(self) -> None:
        self.menuBar().setAccessibleName("Main menu")
        self.new_chat_action = self._add("&File", "&New chat", self.new_chat, "Ctrl+N")
        self.search_action = self._add(
            "&File", "&Search chats", self.sidebar.focus_search, "Ctrl+F"
        )
        self._menu("&File").addSeparator()
        self.settings_action = self._add("&File", "Se&ttings…", self.request_settings, "Ctrl+,")
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.models_action = self._add("&File", "&Manage models…", self.request_models)
        self.privacy_action = self._add("&File", "&Privacy and data…", self.request_privacy)
        self.uninstall_action = self._add("&File", "&Uninstall NextHub…", self.uninstaller.ask)
        # macOS: in the application menu, beside Preferences and Quit.
        self.uninstall_action.setMenuRole(QAction.MenuRole.ApplicationSpecificRole)
        self._menu("&File").addSeparator()
        self.quit_action = self._add("&File", "&Quit", self.quit, "Ctrl+Q")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)

        conversation = self._menu("&Conversation")
        for action in (
            self.sidebar.rename_action,
            self.sidebar.pin_action,
            self.sidebar.archive_action,
            self.sidebar.delete_action,
            self.sidebar.undo_action,
        ):
            conversation.addAction(action)
        conversation.addSeparator()
        conversation.addAction(self.sidebar.show_archived_action)

        self.stop_action = self._add("C&hat", "&Stop the answer", self.chat.stop, "Esc")
        self.load_action = self._add("C&hat", "&Load the default model", self.loader.load_default)
        self.chat_settings_action = self._add(
            "C&hat", "Chat s&ettings…", self.open_chat_settings, "Ctrl+Shift+,"
        )

    def _connect(self) -> None:
        self.sidebar.new_chat_requested.connect(self.new_chat)
        self.sidebar.conversation_selected.connect(self.show_conversation)
        self.sidebar.hit_selected.connect(self.open_hit)
        self.sidebar.conversation_deleted.connect(self._conversation_deleted)
        self.sidebar.problem.connect(self.show_problem)
        self.chat.conversation_changed.connect(self._conversation_changed)
        self.chat.problem.connect(self.show_problem)
        self.loader.loaded.connect(self._model_loaded)
        self.loader.failed.connect(self._model_failed)
        self.loader.no_model.connect(self._no_model)
        self.model_status.models_requested.connect(self.request_models)
        self.settings_requested.connect(self.pages.open_settings)
        self.models_requested.connect(self.pages.open_models)
        self.privacy_requested.connect(self.pages.open_privacy)
        self.pages.models_changed.connect(self._models_changed)
        self.chat.composer.models_dropped.connect(self.pages.import_models)

    # -- What the app (and the other windows) call ------------------------------------------

    def start(self, *, load_model: bool = True) -> None:
        """Fill the sidebar, open a new chat, (by default) load the default model, serve if set."""
        self.sidebar.refresh()
        self.new_chat()
        if load_model:
            self.loader.load_default()
        self.web_server.apply(self._hub.settings.web_gui_enabled)

    @Slot()
    def new_chat(self) -> None:
        """An empty chat, ready to type in (Ctrl+N)."""
        self._shown = None
        self.sidebar.set_current(None)
        self.chat.show_conversation(None)
        self.chat.focus_composer()

    @Slot(str)
    def show_conversation(self, conversation_id: str) -> None:
        """Show a saved conversation."""
        self._shown = conversation_id
        self.sidebar.set_current(conversation_id)
        self.chat.show_conversation(conversation_id)

    @Slot(str, str)
    def open_hit(self, conversation_id: str, message_id: str) -> None:
        """Show a search hit: its conversation, scrolled to the message ("" for a title match)."""
        if conversation_id != self._shown:
            self.show_conversation(conversation_id)
        if message_id:
            self.chat.jump_to_message(message_id)

    def shown_conversation(self) -> str | None:
        """The conversation the chat view shows (None: a new chat)."""
        return self._shown

    @Slot(str)
    def show_problem(self, text: str) -> None:
        """Show a problem in the banner (the window stays usable)."""
        self.banner.show_problem(text)

    @Slot()
    def request_settings(self) -> None:
        """Ctrl+,: ask for the settings dialog."""
        self.settings_requested.emit()

    @Slot()
    def request_models(self) -> None:
        """Ask for the model manager."""
        self.models_requested.emit()

    @Slot()
    def request_privacy(self) -> None:
        """Ask for the Privacy and data page."""
        self.privacy_requested.emit()

    @Slot()
    def open_chat_settings(self) -> ChatSettingsDialog:
        """The shown chat's model, system prompt and sampling (Chat > Chat settings…)."""
        dialog = ChatSettingsDialog(self.chat.session, self._hub, self._tasks, self.loader, self)
        dialog.finished.connect(lambda _result: delete_when_idle(dialog, self._tasks))
        dialog.show()
        return dialog

    @Slot()
    def quit(self) -> None:
        """Close the window, which quits the app (Ctrl+Q)."""
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Stop what is running (an answer, a load, the web server), then tell the app."""
        self.chat.stop()
        self.loader.cancel()
        self.web_server.stop_now()
        super().closeEvent(event)
        self.closed.emit()

    def discard(self) -> None:
        """Let go of the window whose hub was closed (all data deleted): it does not quit.

        What runs is stopped, the window and its pages are hidden at once, and
        deleted once no background task can call back into them.
        """
        self.chat.stop()
        self.loader.cancel()
        self.web_server.stop_now()
        self.pages.hide_all()
        delete_when_idle(self, self._tasks)

    def _before_wipe(self, then: Callable[[], None]) -> None:
        """Before the store is deleted: stop serving it, stop the answer, then ``then``."""
        self.web_server.stop_then(lambda: self.chat.stop_then(then))

    # -- Drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        """Accept GGUF model files dragged from a file manager."""
        if model_files(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        """Import the dropped model files; the model manager opens to show how it went."""
        files = model_files(event.mimeData())
        if files:
            event.acceptProposedAction()
            self.pages.import_models(files)

    # -- Reactions ---------------------------------------------------------------------------

    @Slot(str)
    def _conversation_changed(self, conversation_id: str) -> None:
        self._shown = conversation_id
        self.sidebar.set_current(conversation_id)
        self.sidebar.refresh()

    @Slot(str)
    def _conversation_deleted(self, conversation_id: str) -> None:
        if conversation_id == self._shown:
            self.new_chat()

    @Slot(str)
    def _model_loaded(self, _name: str) -> None:
        self.chat.model_changed()  # the status bar's corner names the model

    @Slot(str)
    def _model_failed(self, message: str) -> None:
        self.banner.show_problem(message, action="Try again", on_action=self.loader.load_default)

    @Slot()
    def _no_model(self) -> None:
        """No model is installed: say so, and open the model manager, where one is added."""
        self.banner.show_problem(
            NO_MODEL_MESSAGE, action="Manage models…", on_action=self.request_models
        )
        self.request_models()

    @Slot()
    def _models_changed(self) -> None:
        self.model_status.models_changed()
        if self.banner.message() == NO_MODEL_MESSAGE:
            self.banner.dismiss()  # a model is installed now: Load model in the status bar
