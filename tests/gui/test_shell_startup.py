"""From launch to the window: the welcome, key setup, unlock, and a key that cannot be used.

Driven through the real dialogs with the real key store and encrypted
database in this test's NEXTHUB_HOME. This machine has no keyring, so the
first run offers the passphrase (the keyring choice is shown, disabled).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QGroupBox, QLabel, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from nexthub.gui.startup import Startup
from nexthub.gui.unlock_dialogs import KeyProblemDialog, UnlockDialog
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.settings import read_settings
from nexthub.store.keys import KeyProtection, KeyStore
from tests.file_snapshots import snapshot
from tests.gui.shell_helpers import PASSPHRASE, WAIT_MS, make_passphrase_store

Settle = Callable[[], None]
T = TypeVar("T", bound=QWidget)


def dialog_of(startup: Startup, kind: type[T], qtbot: QtBot) -> T:
    """Wait for the startup to show a dialog of ``kind``; return it."""
    qtbot.waitUntil(lambda: isinstance(startup.dialog, kind), timeout=WAIT_MS)
    dialog = startup.dialog
    assert isinstance(dialog, kind)
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    return dialog


def texts(widget: QWidget) -> str:
    """Every label's text in a widget, as the user reads it, one per line."""
    return "\n".join(label.text() for label in widget.findChildren(QLabel) if label.isVisible())


def click(qtbot: QtBot, button: QWidget) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def choose(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click a radio button on its circle (its label ends well before its right edge)."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))


# -- First run -----------------------------------------------------------------------------------


def test_first_run_says_what_stays_local_and_sets_up_a_passphrase(
    startup: Startup, paths: AppPaths, qtbot: QtBot, settle: Settle
) -> None:
    startup.begin()
    welcome = dialog_of(startup, WelcomeDialog, qtbot)

    shown = texts(welcome)
    assert "What you type, the answers, and the models you load stay here" in shown
    assert "Nothing is sent anywhere unless you ask for it" in shown
    telemetry = welcome.findChild(QGroupBox, "telemetryChoice")
    assert telemetry is not None and telemetry.isVisible()
    assert "anonymous usage totals" in texts(telemetry)
    assert not welcome.keyring_choice.isEnabled()  # no keyring on this machine
    assert "no system keyring" in shown
    assert welcome.passphrase_choice.isChecked()
    assert welcome.passphrase.isVisible() and welcome.again.isVisible()
    assert not welcome.key_file_warning.isVisible()

    # Two different passphrases: said plainly, nothing is made.
    qtbot.keyClicks(welcome.passphrase, PASSPHRASE)
    qtbot.keyClicks(welcome.again, PASSPHRASE + "!")
    click(qtbot, welcome.start_button)
    assert welcome.error.isVisible()
    assert welcome.error.text() == "The two passphrases differ. Type the same one twice."
    settle()
    assert not paths.data.exists() or list(paths.data.iterdir()) == []

    qtbot.keyClicks(welcome.again, PASSPHRASE)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS) as ready:
        click(qtbot, welcome.start_button)
    hub = ready.args[0]
    assert isinstance(hub, Hub)
    assert not welcome.isVisible()
    assert KeyStore(paths).protection() is KeyProtection.PASSPHRASE
    assert paths.chats_db_file.exists()
    assert read_settings(paths.settings_file).welcomed


def test_the_key_file_is_an_explicit_choice_with_its_warning(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    startup.begin()
    welcome = dialog_of(startup, WelcomeDialog, qtbot)

    choose(qtbot, welcome.key_file_choice)
    assert welcome.key_file_warning.isVisible()
    assert "anyone or anything that can read your files" in welcome.key_file_warning.text()
    assert not welcome.passphrase.isVisible()
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        click(qtbot, welcome.start_button)
    assert KeyStore(paths).protection() is KeyProtection.KEY_FILE


def test_quitting_the_welcome_makes_nothing(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    startup.begin()
    welcome = dialog_of(startup, WelcomeDialog, qtbot)
    with qtbot.waitSignal(startup.abandoned, timeout=WAIT_MS):
        click(qtbot, welcome.quit_button)
    assert not KeyStore(paths).exists()
    assert not paths.chats_db_file.exists()


# -- Unlock --------------------------------------------------------------------------------------


def test_a_wrong_passphrase_changes_nothing_and_the_right_one_opens(
    startup: Startup, paths: AppPaths, qtbot: QtBot, nexthub_home: Path
) -> None:
    make_passphrase_store(paths)
    before = snapshot(nexthub_home)
    startup.begin()
    unlock = dialog_of(startup, UnlockDialog, qtbot)
    assert not unlock.unlock_button.isEnabled()  # nothing typed yet

    qtbot.keyClicks(unlock.passphrase, "not the passphrase")
    click(qtbot, unlock.unlock_button)
    qtbot.waitUntil(unlock.error.isVisible, timeout=WAIT_MS)
    assert "That passphrase does not open NextHub's database key" in unlock.error.text()
    assert "Nothing was changed" in unlock.error.text()
    assert unlock.passphrase.text() == "" and unlock.passphrase.isEnabled()
    assert snapshot(nexthub_home) == before

    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        qtbot.keyClick(unlock.passphrase, Qt.Key.Key_Return)
    assert not unlock.isVisible()


def test_a_terminal_user_sees_the_welcome_without_key_setup_then_unlocks(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    make_passphrase_store(paths, welcomed=False)
    startup.begin()
    welcome = dialog_of(startup, WelcomeDialog, qtbot)
    assert "Protect your chats" not in [box.title() for box in welcome.findChildren(QGroupBox)]
    assert welcome.start_button.text() == "Continue"
    click(qtbot, welcome.start_button)

    unlock = dialog_of(startup, UnlockDialog, qtbot)
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        click(qtbot, unlock.unlock_button)
    assert read_settings(paths.settings_file).welcomed


def test_the_environment_passphrase_opens_without_a_question(
    startup: Startup, paths: AppPaths, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_passphrase_store(paths)
    monkeypatch.setenv("NEXTHUB_PASSPHRASE", PASSPHRASE)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        startup.begin()
    assert startup.dialog is None


# -- A key that cannot be used -------------------------------------------------------------------


def test_a_damaged_key_is_shown_clearly_and_nothing_changes(
    startup: Startup, paths: AppPaths, qtbot: QtBot, nexthub_home: Path
) -> None:
    make_passphrase_store(paths)
    (paths.data / "database-key.json").write_text("{ not json", encoding="utf-8")
    before = snapshot(nexthub_home)
    startup.begin()
    problem = dialog_of(startup, KeyProblemDialog, qtbot)

    assert problem.windowTitle() == "NextHub cannot open your chats"
    assert "database key file" in problem.message.text()
    assert "is damaged" in problem.message.text()
    assert "restore the file from a backup" in problem.message.text()
    with qtbot.waitSignal(startup.abandoned, timeout=WAIT_MS):
        click(qtbot, problem.quit_button)
    assert snapshot(nexthub_home) == before


def test_a_missing_key_is_shown_and_try_again_works_once_it_is_back(
    startup: Startup, paths: AppPaths, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_passphrase_store(paths)
    monkeypatch.setenv("NEXTHUB_PASSPHRASE", PASSPHRASE)
    key_file = paths.data / "database-key.json"
    saved = key_file.read_bytes()
    key_file.unlink()
    startup.begin()
    problem = dialog_of(startup, KeyProblemDialog, qtbot)
    assert "is missing" in problem.message.text()
    assert "did not make a new key" in problem.message.text()

    key_file.write_bytes(saved)  # restored from a backup
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        click(qtbot, problem.retry_button)
