"""Telemetry's consent in the desktop app: the welcome's question, asking again, Privacy page.

Real dialogs, the real key store and encrypted database, and the real
telemetry package over this test's NEXTHUB_HOME: what the user sees and
clicks, and what is on disk afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFontInfo
from PySide6.QtWidgets import QLabel, QRadioButton, QWidget
from pytestqt.qtbot import QtBot

from nexthub.cli.main import main
from nexthub.gui.privacy_page import PrivacyPage
from nexthub.gui.startup import Startup
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.telemetry_choice import ASKED_AGAIN, TelemetryQuestion
from nexthub.gui.unlock_dialogs import UnlockDialog
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.telemetry_access import open_telemetry, set_consent
from nexthub.telemetry import Consent, read_consent
from tests.gui.page_helpers import shown
from tests.gui.shell_helpers import PASSPHRASE, WAIT_MS, make_passphrase_store

Idle = Callable[[], None]


def click(qtbot: QtBot, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def choose(qtbot: QtBot, radio: QRadioButton) -> None:
    """Click a radio button on its circle."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))


def first_run_welcome(startup: Startup, qtbot: QtBot) -> WelcomeDialog:
    startup.begin()
    qtbot.waitUntil(lambda: isinstance(startup.dialog, WelcomeDialog), timeout=WAIT_MS)
    welcome = startup.dialog
    assert isinstance(welcome, WelcomeDialog)
    qtbot.waitUntil(welcome.isVisible, timeout=WAIT_MS)
    return welcome


def finish_with_passphrase(welcome: WelcomeDialog, startup: Startup, qtbot: QtBot) -> Hub:
    qtbot.keyClicks(welcome.passphrase, PASSPHRASE)
    qtbot.keyClicks(welcome.again, PASSPHRASE)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS) as ready:
        click(qtbot, welcome.start_button)
    hub = ready.args[0]
    assert isinstance(hub, Hub)
    return hub


def test_the_welcome_asks_with_equal_yes_and_no_and_previews_the_exact_report(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    welcome = first_run_welcome(startup, qtbot)
    yes, no = welcome.telemetry.yes_choice, welcome.telemetry.no_choice

    assert yes.isVisible() and no.isVisible() and welcome.telemetry.preview_button.isVisible()
    assert type(yes) is type(no)
    assert yes.font() == no.font() and yes.styleSheet() == no.styleSheet() == ""
    assert yes.sizePolicy() == no.sizePolicy() and yes.height() == no.height()
    assert not yes.isChecked()  # never a nudge toward yes: "No" is where it starts

    click(qtbot, welcome.telemetry.preview_button)
    preview = welcome.telemetry.preview_dialog
    assert preview is not None and preview.isVisible()
    assert preview.text.isReadOnly()
    assert QFontInfo(preview.text.font()).fixedPitch()  # monospace
    assert preview.text.toPlainText().encode("ascii") == open_telemetry(paths).sample()
    assert not paths.telemetry_dir.exists()  # previewing records nothing


def test_choosing_yes_in_the_welcome_turns_telemetry_on(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    welcome = first_run_welcome(startup, qtbot)
    choose(qtbot, welcome.telemetry.yes_choice)
    finish_with_passphrase(welcome, startup, qtbot)

    assert read_consent(paths.telemetry_consent_file) is Consent.ON


def test_choosing_no_records_off_and_creates_no_telemetry_folder(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    welcome = first_run_welcome(startup, qtbot)
    choose(qtbot, welcome.telemetry.no_choice)
    hub = finish_with_passphrase(welcome, startup, qtbot)
    hub.telemetry.count("feature.chat")
    hub.telemetry.flush()

    assert read_consent(paths.telemetry_consent_file) is Consent.OFF
    assert not paths.telemetry_dir.exists()


def test_a_changed_report_schema_asks_again_after_unlock(
    startup: Startup, paths: AppPaths, qtbot: QtBot
) -> None:
    make_passphrase_store(paths)
    # A yes given to an older schema: the answer on disk names schema 0.
    paths.telemetry_consent_file.parent.mkdir(parents=True, exist_ok=True)
    paths.telemetry_consent_file.write_text(json.dumps({"enabled": True, "schema": 0}))
    assert read_consent(paths.telemetry_consent_file) is Consent.ASK

    startup.begin()
    qtbot.waitUntil(lambda: isinstance(startup.dialog, UnlockDialog), timeout=WAIT_MS)
    unlock = startup.dialog
    assert isinstance(unlock, UnlockDialog)
    qtbot.keyClicks(unlock.passphrase, PASSPHRASE)
    click(qtbot, unlock.unlock_button)
    qtbot.waitUntil(lambda: isinstance(startup.dialog, TelemetryQuestion), timeout=WAIT_MS)
    question = startup.dialog
    assert isinstance(question, TelemetryQuestion)
    assert question.choice.preview_button.isVisible()
    assert ASKED_AGAIN in "\n".join(label.text() for label in question.findChildren(QLabel))

    choose(qtbot, question.choice.yes_choice)
    with qtbot.waitSignal(startup.ready, timeout=WAIT_MS):
        click(qtbot, question.done_button)
    assert read_consent(paths.telemetry_consent_file) is Consent.ON


# -- Privacy and data ----------------------------------------------------------------------------


@pytest.fixture
def page(qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle) -> PrivacyPage:
    return shown(qtbot, PrivacyPage(hub, tasks), idle)


def show_output(capsysbinary: pytest.CaptureFixture[bytes]) -> bytes:
    assert main(["telemetry", "show"]) == 0
    return capsysbinary.readouterr().out


def test_the_privacy_page_turns_telemetry_on_and_off_and_shows_the_exact_next_report(
    page: PrivacyPage,
    hub: Hub,
    qtbot: QtBot,
    idle: Idle,
    capsysbinary: pytest.CaptureFixture[bytes],
) -> None:
    box = page.telemetry_box
    assert not box.switch.isChecked() and box.switch.isEnabled()

    click(qtbot, box.switch)
    qtbot.waitUntil(lambda: hub.telemetry.consent() is Consent.ON, timeout=WAIT_MS)
    idle()
    hub.telemetry.count("feature.search")
    page.refresh()
    idle()
    assert box.switch.isChecked()
    shown_report = box.report.toPlainText().encode("ascii")
    assert json.loads(shown_report)["counters"]["feature.search"] == 1
    assert show_output(capsysbinary).startswith(shown_report)  # what the CLI prints first

    click(qtbot, box.switch)
    qtbot.waitUntil(lambda: hub.telemetry.consent() is Consent.OFF, timeout=WAIT_MS)
    idle()
    assert not box.switch.isChecked()
    assert not hub.paths.telemetry_dir.exists()  # turning off deletes what it kept


def test_do_not_track_keeps_the_switch_off_and_says_why(
    qtbot: QtBot, hub: Hub, tasks: TaskRunner, idle: Idle, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_consent(hub.telemetry, True)
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    page = shown(qtbot, PrivacyPage(hub, tasks), idle)

    box = page.telemetry_box
    assert not box.switch.isChecked() and not box.switch.isEnabled()
    assert box.note.isVisible() and "DO_NOT_TRACK" in box.note.text()
    assert box.report.toPlainText().encode("ascii") == hub.telemetry.sample()
