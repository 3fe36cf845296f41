"""The first run on a desktop with a keyring: the keyring is offered first, and used.

A real Secret Service (gnome-keyring on a private D-Bus session bus, started by
the keyring tests' fixture); skipped, with the reason, where the two programs
are missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import keyring.core
import pytest
from keyring.backends import SecretService
from PySide6.QtCore import QPoint, Qt
from pytestqt.qtbot import QtBot

from nexthub.gui.startup import Startup
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.store.keys import KeyProtection, KeyStore
from tests.gui.shell_helpers import WAIT_MS
from tests.unit.store.test_store_keys_keyring import session_bus

__all__ = ["session_bus"]  # the fixture, used by name below


@pytest.fixture
def system_keyring(session_bus: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """keyring's default backend is the Secret Service, as on a GNOME desktop."""
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    monkeypatch.setattr(keyring.core, "_keyring_backend", SecretService.Keyring())
    yield


def test_the_keyring_is_the_recommended_default_and_keeps_the_key(
    system_keyring: None,
    paths: AppPaths,
    tasks: TaskRunner,
    qtbot: QtBot,
    settle: Callable[[], None],
) -> None:
    startup = Startup(paths, tasks)
    opened: list[Hub] = []
    startup.ready.connect(opened.append)
    startup.begin()
    qtbot.waitUntil(lambda: isinstance(startup.dialog, WelcomeDialog), timeout=WAIT_MS)
    welcome = startup.dialog
    assert isinstance(welcome, WelcomeDialog)

    assert welcome.keyring_choice.isEnabled() and welcome.keyring_choice.isChecked()
    assert welcome.keyring_choice.text() == "System keyring (recommended)"
    assert welcome.passphrase_choice.text() == "Passphrase"
    assert not welcome.passphrase.isVisible()
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        qtbot.mouseClick(welcome.start_button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    try:
        assert KeyStore(paths).protection() is KeyProtection.KEYRING
    finally:
        settle()
        for hub in opened:
            hub.close()
