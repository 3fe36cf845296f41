"""The desktop app's entry point: ``nexthub`` with no sub-command lands in :func:`main`.

It sets up the QApplication (name, icon, theme from Settings), runs the
startup steps (welcome, key setup or unlock: :mod:`nexthub.gui.startup`),
then shows the main window and loads the default model in the background.
At exit it stops what is running and closes the Hub (the engine's worker and
the store) after the event loop has ended.

"Delete all my data" closes the Hub under the window. The app then lets go of
the window and runs the same startup steps again: after a wipe they find no
key and show the first-run welcome; after a wipe that failed (the chats are
intact) they unlock the chats as at launch. What the Privacy page said about
it (a keyring warning, the failure) is shown in the next window's banner.
"Uninstall NextHub…" closes the Hub too; once it is done the app quits (a
failure starts over the same way).

Telemetry (off unless the user said yes): one per app, shared by every Hub
the startup opens; its thread writes counts and sends due reports in the
background and is stopped at exit. Uncaught exceptions are counted as crash
signatures (:mod:`nexthub.gui.crash_counting`), and the session's end as
clean or crashed.

Python's cycle collector runs on the main thread only while the app is up
(:mod:`nexthub.gui.main_thread_gc`): garbage holding a widget must not be
destroyed on a worker thread.

Ctrl-C in the terminal that started the app, and SIGTERM (a session logging
out), quit it the same way as closing the window: a timer lets Python run its
signal handlers while Qt's loop is in charge.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from nexthub import __version__
from nexthub.gui.crash_counting import CrashCounter
from nexthub.gui.main_thread_gc import MainThreadCollector
from nexthub.gui.main_window import MainWindow
from nexthub.gui.startup import Startup
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.theme import app_icon, apply_theme
from nexthub.paths import APP_NAME, AppPaths
from nexthub.service.hub import Hub
from nexthub.service.settings import read_settings
from nexthub.service.telemetry_access import Telemetry, open_telemetry, start_reporting

logger = logging.getLogger(__name__)

#: Milliseconds between wake-ups that let Python handle Ctrl-C and SIGTERM.
SIGNAL_POLL_MS = 200
NO_DISPLAY_MESSAGE = (
    "nexthub: no graphical display was found (DISPLAY and WAYLAND_DISPLAY are unset), so the "
    "desktop app cannot open. Chat in this terminal with `nexthub chat`, or see `nexthub --help`."
)


def display_available(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt can open a window here (Linux needs X11 or Wayland unless a platform is set)."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def create_application(argv: Sequence[str] | None = None) -> QApplication:
    """The QApplication, named and with its icon (or the one that exists, in tests)."""
    existing = QApplication.instance()
    app = (
        existing if isinstance(existing, QApplication) else QApplication(list(argv or sys.argv[:1]))
    )
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("nexthub")
    app.setWindowIcon(app_icon())
    app.setQuitOnLastWindowClosed(False)  # the dialogs close before the window opens
    return app


class DesktopApp(QObject):
    """The running app: startup, then the window; :meth:`shutdown` after the loop ends."""

    def __init__(
        self,
        app: QApplication,
        paths: AppPaths,
        tasks: TaskRunner,
        telemetry: Telemetry | None = None,
    ) -> None:
        super().__init__()
        self._app = app
        self._tasks = tasks.owned_by(self)
        self.startup = Startup(paths, tasks, self, telemetry)
        self.startup.ready.connect(self._open_window)
        self.startup.abandoned.connect(app.quit)
        self.hub: Hub | None = None
        self.window: MainWindow | None = None
        #: Said in the next window's banner (what happened to the previous hub).
        self._note = ""

    def start(self) -> None:
        """Begin the startup steps (the event loop does the rest)."""
        self.startup.begin()

    def _open_window(self, hub: Hub) -> None:
        self.hub = hub
        apply_theme(self._app, hub.settings.theme)
        self.window = MainWindow(hub, self._tasks)
        self.window.closed.connect(self._app.quit)
        self.window.pages.data_wiped.connect(self._start_over)
        self.window.pages.hub_closed.connect(self._start_over)
        self.window.uninstaller.uninstalled.connect(self._uninstalled)
        self.window.uninstaller.failed.connect(self._start_over)
        self.window.show()
        self.window.start()
        if self._note:
            self.window.show_problem(self._note)
            self._note = ""
        logger.info("main window shown")

    def _start_over(self, note: str) -> None:
        """The hub was closed under the window: drop the window, then open the chats anew."""
        window, self.window = self.window, None
        self.hub = None  # closed by the wipe
        self._note = note
        if window is not None:
            window.closed.disconnect(self._app.quit)
            window.discard()
        logger.info("the chats were closed under the window: starting over")
        self.startup.begin()

    def _uninstalled(self) -> None:
        """Everything is deleted and the hub closed by the uninstall: quit."""
        self.hub = None
        logger.info("uninstalled: quitting")
        self._app.quit()

    def shutdown(self) -> None:
        """Stop a load or an answer, finish the background tasks, close the Hub."""
        if self.window is not None:
            self.window.chat.stop()
            self.window.loader.cancel()
            self.window.web_server.stop_now()  # before the Hub it serves closes
        if self.hub is not None:
            self.hub.engine.cancel()
        self._tasks.shutdown()
        if self.hub is not None:
            self.hub.close()
            self.hub = None


def _quit_on_signals(app: QApplication) -> QTimer:
    """Ctrl-C and SIGTERM quit the app cleanly; the returned timer must be kept alive."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda _number, _frame: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)  # Python runs signal handlers between bytecodes
    timer.start(SIGNAL_POLL_MS)
    return timer


def main(argv: Sequence[str] | None = None) -> int:
    """Run the desktop app until its window closes; returns the exit status."""
    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 1
    app = create_application(argv)
    paths = AppPaths.from_environment()
    apply_theme(app, read_settings(paths.settings_file).theme)
    collector = MainThreadCollector(app)
    collector.start()
    tasks = TaskRunner()
    telemetry = open_telemetry(paths)
    telemetry.count("app.started", "desktop")
    crashes = CrashCounter(telemetry)
    crashes.install()
    reporting = start_reporting(telemetry)
    desktop = DesktopApp(app, paths, tasks, telemetry)
    _signal_timer = _quit_on_signals(app)
    desktop.start()
    status = app.exec()
    desktop.shutdown()
    telemetry.count("session.ended", "crashed" if crashes.crashed else "clean")
    if reporting is not None:
        reporting.stop()  # writes the last counts
    crashes.uninstall()
    collector.stop()
    return status
