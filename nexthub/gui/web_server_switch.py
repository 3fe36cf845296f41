"""The desktop app's switch for the localhost web GUI and API (Settings > Web GUI).

While ``web_gui_enabled`` is on, the app runs :class:`~nexthub.web.background.BackgroundServer`
over its own Hub on 127.0.0.1 (and ::1) at ``web_port``. Starting and
stopping run on the task runner (the web stack is imported then, not at
launch: the window must not wait for it). A port that cannot be listened on
is not an error of the app: the switch says why, and Settings shows it.

The server must be stopped before the Hub closes (at quit, and before
"Delete all my data" or an uninstall wipes the store): :meth:`stop_then`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from nexthub.errors import NextHubError
from nexthub.gui.errors import describe
from nexthub.gui.tasks import TaskRunner
from nexthub.service.hub import Hub

if TYPE_CHECKING:
    from nexthub.web.background import BackgroundServer


class WebServerSwitch(QObject):
    """Starts and stops the background server as Settings say (see the module docstring)."""

    #: The state changed: running (with an address), stopped, or a problem.
    changed = Signal()

    def __init__(self, hub: Hub, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._server: BackgroundServer | None = None
        self._busy = False
        self._wanted = False
        #: The port setting the running server was started with.
        self._started_with: int | None = None
        #: What to do once the server being stopped has stopped.
        self._after_stop: Callable[[], None] = _nothing
        #: Why the server is not running although it should (empty when none).
        self.problem = ""

    @property
    def running(self) -> bool:
        """Whether the server is serving now."""
        return self._server is not None

    @property
    def origin(self) -> str:
        """The web GUI's address ('' while stopped)."""
        return self._server.origin if self._server is not None else ""

    def login_link(self) -> str:
        """A fresh one-time login link ('' while stopped)."""
        return self._server.login_link() if self._server is not None else ""

    def apply(self, enabled: bool) -> None:
        """Make the server run (or not) as the setting now says."""
        self._wanted = enabled
        if self._busy:
            return  # the step under way calls back here when it ends
        port = self._hub.settings.web_port
        if enabled and self._server is None:
            self._busy = True
            self._started_with = port
            self._tasks.run(lambda: _start(self._hub, port), self._started, self._failed)
        elif self._server is not None and (not enabled or port != self._started_with):
            self.stop_then(lambda: self.apply(self._wanted))  # off, or on again at the new port

    def stop_then(self, then: Callable[[], None]) -> None:
        """Stop the server (off the main thread), then call ``then`` on the main thread."""
        server, self._server = self._server, None
        self.problem = ""
        if server is None:
            then()
            return
        self._busy = True
        self._after_stop = then
        # Bound methods: the task runner skips them if this switch (its window) is gone.
        self._tasks.run(server.stop, self._stopped, self._stopped)

    def stop_now(self) -> None:
        """Stop the server and wait (at quit, when there is nothing left to keep responsive)."""
        server, self._server = self._server, None
        self._wanted = False
        if server is not None:
            server.stop()

    def _stopped(self, _outcome: object = None) -> None:
        self._busy = False
        self.changed.emit()
        then, self._after_stop = self._after_stop, _nothing
        then()

    def _started(self, server: BackgroundServer) -> None:
        self._busy = False
        self._server = server
        self.problem = ""
        self.changed.emit()
        if not self._wanted:
            self.apply(False)

    def _failed(self, error: BaseException) -> None:
        self._busy = False
        self.problem = describe(error)
        self.changed.emit()


def _nothing() -> None:
    pass


def _start(hub: Hub, port: int) -> BackgroundServer:
    """On a worker thread: import the web stack and start serving."""
    from nexthub.web.background import BackgroundServer  # see the module docstring
    from nexthub.web.listening import PortUnavailableError

    try:
        return BackgroundServer(hub, port)
    except PortUnavailableError as exc:
        raise NextHubError(f"{exc} Choose another port in Settings.") from None
