"""The web GUI's part of Settings: the switch, the port, the address, a login link.

While the server runs (:class:`WebServerSwitch`), it shows where, and offers
a one-time login link: copied, or opened in the default browser. Each link
works once; each click makes a new one. The switch and the port take effect
when Settings are saved.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from nexthub.gui.web_server_switch import WebServerSwitch
from nexthub.gui.widgets import text_label
from nexthub.service.hub import Hub
from nexthub.service.settings_form import AUTO_TEXT

OFF = "Off: nothing listens on the network."
STARTING = "Starting…"


class WebGuiSettings(QWidget):
    """The web GUI's fields; :meth:`add_rows` puts them into the Settings form."""

    #: A login link was put on the clipboard.
    link_copied = Signal()

    def __init__(
        self, hub: Hub, port_text: str, server: WebServerSwitch | None, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self._hub = hub
        self._server = server
        self.enabled = QCheckBox("Run the web GUI on this computer (localhost only)", parent)
        self.enabled.setAccessibleName("Web GUI on or off")
        self.enabled.setChecked(hub.settings.web_gui_enabled)
        self.port = QLineEdit(port_text, parent)
        self.port.setAccessibleName("Web GUI port")
        self.status = text_label(OFF, "Web GUI status", parent)
        self.copy_link_button = QPushButton("Copy login link", parent)
        self.copy_link_button.setAccessibleName("Copy a one-time login link for a browser")
        self.copy_link_button.clicked.connect(self.copy_login_link)
        self.open_browser_button = QPushButton("Open in browser", parent)
        self.open_browser_button.setAccessibleName("Open the web GUI in the browser, logged in")
        self.open_browser_button.clicked.connect(self.open_in_browser)
        if server is not None:
            server.changed.connect(self.show_status)
        self.show_status()

    def add_rows(self, form: QFormLayout) -> None:
        """Add the switch, the port, the status and the link buttons to ``form``."""
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_link_button)
        buttons.addWidget(self.open_browser_button)
        buttons.addStretch(1)
        hint = text_label(f"on 127.0.0.1 only; '{AUTO_TEXT}': any free port", "Port hint", self)
        hint.setEnabled(False)  # drawn in the dimmer disabled colour
        form.addRow("Web GUI", self.enabled)
        form.addRow("Port", self.port)
        form.addRow("", hint)
        form.addRow("", self.status)
        form.addRow("", buttons)

    @Slot()
    def show_status(self) -> None:
        """The server's address while it runs, what went wrong, or that it is off."""
        server = self._server
        running = server is not None and server.running
        if server is not None and running:
            text = f"Running at {server.origin}/ (OpenAI-compatible API at {server.origin}/v1)."
        elif server is not None and server.problem:
            text = f"Not running: {server.problem}"
        elif self._hub.settings.web_gui_enabled:
            text = STARTING
        else:
            text = OFF
        self.status.setText(text)
        self.copy_link_button.setEnabled(running)
        self.open_browser_button.setEnabled(running)

    @Slot()
    def copy_login_link(self) -> None:
        """Put a fresh one-time login link on the clipboard."""
        link = self._fresh_link()
        if link:
            QApplication.clipboard().setText(link)
            self.link_copied.emit()

    @Slot()
    def open_in_browser(self) -> None:
        """Open the web GUI in the default browser, logged in by a fresh link."""
        link = self._fresh_link()
        if link:
            QDesktopServices.openUrl(QUrl(link))

    def _fresh_link(self) -> str:
        """A new one-time login link ('' without a running server)."""
        return self._server.login_link() if self._server is not None else ""
