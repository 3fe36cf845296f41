"""From launch to an unlocked Hub: welcome, key setup, passphrase, or a clear error.

The service decides what must be asked (:func:`plan_opening`); this object
shows the matching dialog and runs the slow parts (the keyring over D-Bus,
Argon2id's half second, opening the database) on the task runner, so the
dialogs stay responsive. The steps:

1. first run: :class:`WelcomeDialog` with the key choice; the key is made
   and the store opened with it. A failure (the keyring refused, say) is
   shown in the dialog, which stays open for another choice;
2. a user who has chats but never saw the app's welcome: the welcome
   without the key part;
3. a passphrase-protected key: :class:`UnlockDialog`, as often as needed
   (a wrong passphrase changes nothing);
4. anything else opens without a question.

The welcome's telemetry answer is recorded once the chats are open. After
any unlock, if the report's schema changed since the user answered (the
consent is ASK and an answer is on disk), :class:`TelemetryQuestion` asks again; closing it
answers nothing (telemetry stays off) and the app opens all the same.

An error that no typing can fix (a missing or damaged key, a keyring entry
that is gone) ends in :class:`KeyProblemDialog`: Try again starts over, Quit
quits. Closing any dialog quits the app.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from nexthub.gui.errors import describe
from nexthub.gui.tasks import TaskRunner
from nexthub.gui.telemetry_choice import TelemetryQuestion
from nexthub.gui.unlock_dialogs import KeyProblemDialog, UnlockDialog
from nexthub.gui.welcome import WelcomeDialog
from nexthub.paths import AppPaths
from nexthub.service.hub import Hub
from nexthub.service.store_access import open_chat_store
from nexthub.service.store_opening import (
    KeyProtection,
    Opening,
    OpeningStep,
    PassphraseRequiredError,
    WrongPassphraseError,
    plan_opening,
)
from nexthub.service.telemetry_access import (
    Telemetry,
    open_telemetry,
    set_consent,
    should_ask_again,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Opened:
    hub: Hub
    #: The telemetry consent is ASK: put the question again.
    ask_telemetry: bool


class Startup(QObject):
    """Runs the steps in the module docstring; ends with :attr:`ready` or :attr:`abandoned`."""

    #: The store is open: the Hub to build the window on.
    ready = Signal(object)
    #: The user quit (closed a dialog, or Quit on an error).
    abandoned = Signal()

    def __init__(
        self,
        paths: AppPaths,
        tasks: TaskRunner,
        parent: QObject | None = None,
        telemetry: Telemetry | None = None,
    ) -> None:
        super().__init__(parent)
        self._paths = paths
        self._tasks = tasks.owned_by(self)
        #: The app's telemetry, handed to every Hub opened here.
        self.telemetry = telemetry or open_telemetry(paths)
        self._opening: Opening | None = None
        #: The welcome's telemetry answer, recorded once the chats are open.
        self._telemetry_answer: bool | None = None
        #: The dialog on screen (tests drive it; None when none is).
        self.dialog: QDialog | None = None

    def begin(self) -> None:
        """Find out what to ask, then ask it."""
        self._tasks.run(lambda: plan_opening(self._paths), self._planned, self._cannot_open)

    # -- Steps -----------------------------------------------------------------------------

    def _planned(self, opening: Opening) -> None:
        self._opening = opening
        logger.info("opening the chats: %s", opening.step.value)
        if opening.step is OpeningStep.FIRST_RUN:
            welcome = WelcomeDialog(
                key_setup=True,
                keyring_available=opening.keyring_available,
                telemetry_sample=self.telemetry.sample(),
            )
            welcome.chosen.connect(self._create)
            self._show(welcome)
        elif not opening.welcomed:
            welcome = WelcomeDialog(
                key_setup=False, keyring_available=False, telemetry_sample=self.telemetry.sample()
            )
            welcome.chosen.connect(lambda _protection, _passphrase: self._after_welcome())
            self._show(welcome)
        else:
            self._after_welcome()

    def _after_welcome(self) -> None:
        assert self._opening is not None
        self._take_telemetry_answer()
        if self._opening.step is OpeningStep.PASSPHRASE:
            unlock = UnlockDialog()
            unlock.passphrase_entered.connect(self._unlock)
            self._show(unlock)
        else:
            self._tasks.run(self._open_hub, self._opened, self._cannot_open)

    def _create(self, protection: KeyProtection, passphrase: str | None) -> None:
        self._take_telemetry_answer()
        self._tasks.run(
            lambda: self._open_hub(passphrase=passphrase, first_run_protection=protection),
            self._opened,
            self._setup_failed,
        )

    def _unlock(self, passphrase: str) -> None:
        self._tasks.run(
            lambda: self._open_hub(passphrase=passphrase), self._opened, self._unlock_failed
        )

    def _open_hub(
        self,
        *,
        passphrase: str | None = None,
        first_run_protection: KeyProtection | None = None,
    ) -> _Opened:
        """On a worker thread: unlock (or make) the key, open the store, build the Hub,
        record the welcome's telemetry answer."""
        store = open_chat_store(
            self._paths, passphrase=passphrase, first_run_protection=first_run_protection
        )
        try:
            hub = Hub(self._paths, store, telemetry=self.telemetry)
            if not hub.settings.welcomed:
                hub.change_settings(welcomed=True)
        except BaseException:
            store.close()
            raise
        answer, self._telemetry_answer = self._telemetry_answer, None
        if answer is not None:
            set_consent(self.telemetry, answer)
        return _Opened(hub, should_ask_again(self.telemetry))

    def _take_telemetry_answer(self) -> None:
        if isinstance(self.dialog, WelcomeDialog):
            self._telemetry_answer = self.dialog.telemetry_answer()

    # -- Outcomes --------------------------------------------------------------------------

    def _opened(self, opened: _Opened) -> None:
        self._show(None)
        if not opened.ask_telemetry:
            self.ready.emit(opened.hub)
            return
        question = TelemetryQuestion(self.telemetry.sample())
        question.finished.connect(lambda result: self._answered(opened.hub, question, result))
        self.dialog = question
        question.show()
        question.activateWindow()

    def _answered(self, hub: Hub, question: TelemetryQuestion, result: int) -> None:
        """The question was answered (Continue) or closed (no answer: telemetry stays off)."""
        answer = question.choice.answer() if result == QDialog.DialogCode.Accepted else None
        if self.dialog is question:
            self.dialog = None
        question.deleteLater()
        if answer is None:
            self.ready.emit(hub)
            return
        telemetry = self.telemetry
        self._tasks.run(
            lambda: set_consent(telemetry, answer),
            lambda _consent: self.ready.emit(hub),
            lambda _error: self.ready.emit(hub),  # an unwritable answer: still off; open anyway
        )

    def _setup_failed(self, error: BaseException) -> None:
        if isinstance(self.dialog, WelcomeDialog):
            self.dialog.show_error(describe(error))
        else:
            self._cannot_open(error)

    def _unlock_failed(self, error: BaseException) -> None:
        if isinstance(error, WrongPassphraseError | PassphraseRequiredError) and isinstance(
            self.dialog, UnlockDialog
        ):
            self.dialog.show_error(str(error))
        else:
            self._cannot_open(error)

    def _cannot_open(self, error: BaseException) -> None:
        problem = KeyProblemDialog(describe(error))
        problem.retry.connect(self._retry)
        self._show(problem)

    def _retry(self) -> None:
        self._show(None)
        self.begin()

    def _show(self, dialog: QDialog | None) -> None:
        """Replace the dialog on screen; closing the new one (not replacing it) quits."""
        old, self.dialog = self.dialog, dialog
        if old is not None:
            old.hide()
            old.deleteLater()
        if dialog is not None:
            dialog.rejected.connect(lambda: self._rejected(dialog))
            dialog.show()
            dialog.activateWindow()

    def _rejected(self, dialog: QDialog) -> None:
        if dialog is self.dialog:
            self.dialog = None
            self.abandoned.emit()
