"""The server inside the desktop app: the same app over the same Hub, on a thread.

When the user turns the web GUI on in Settings, the desktop app serves what
`nexthub serve` serves (the /v1 API and the web GUI, with every check of
web/security.py) on loopback, from its own Hub: the chats the window shows
are the chats the browser shows, and both wait in the same model queue. The
app asks for login links (:meth:`BackgroundServer.login_link`) to show and
copy; nothing is printed.

Uvicorn runs in a daemon thread with its own event loop; it installs no
signal handlers off the main thread, so the app's Ctrl-C handling is
unchanged. :meth:`BackgroundServer.stop` lets open streams end (uvicorn's
graceful timeout) and returns once the thread has, so the Hub can be closed
after it.
"""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from nexthub.errors import NextHubError
from nexthub.service.hub import Hub
from nexthub.web.app import create_app
from nexthub.web.config import ServerSettings
from nexthub.web.listening import GRACEFUL_SHUTDOWN_S, listen, origin_of, server_config
from nexthub.web.logins import WebLogins

#: How long starting may take before it counts as failed.
START_TIMEOUT_S = 10.0


class BackgroundServer:
    """A running server on loopback; :meth:`stop` it before closing the Hub."""

    def __init__(self, hub: Hub, port: int) -> None:
        """Listen on ``port`` (0: any free one) and start serving; NextHubError if it cannot."""
        self._sockets: list[socket.socket] = listen(None, port)
        self._logins = WebLogins()
        app = create_app(hub, ServerSettings(), logins=self._logins)
        self._server = uvicorn.Server(server_config(app))
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": self._sockets},
            name="nexthub-web-server",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise NextHubError("The web GUI's server did not start.")
            time.sleep(0.01)

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``: the web GUI's address."""
        return origin_of(self._sockets[0])

    @property
    def api_url(self) -> str:
        """The OpenAI-compatible API's base URL."""
        return f"{self.origin}/v1"

    def login_link(self) -> str:
        """A fresh one-time login link for a browser (each works once)."""
        return f"{self.origin}/login?token={self._logins.new_token()}"

    def stop(self) -> None:
        """Stop serving (open streams get uvicorn's grace period) and close the sockets."""
        self._server.should_exit = True
        self._thread.join(timeout=GRACEFUL_SHUTDOWN_S + 5)
        for sock in self._sockets:
            sock.close()
