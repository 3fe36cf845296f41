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

An error that no typing can fix (a missing or damaged key, a keyring entry
that is gone) ends in :class:`KeyProblemDialog`: Try again starts over, Quit
quits. Closing any dialog quits the app.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QDialog

from nexthub.gui.errors import describe
from nexthub.gui.tasks import TaskRunner
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

logger = logging.getLogger(__name__)


class Startup(QObject):
    """Runs the steps in the module docstring; ends with :attr:`ready` or :attr:`abandoned`."""

    #: The store is open: the Hub to build the window on.
    ready = Signal(object)
    #: The user quit (closed a dialog, or Quit on an error).
    abandoned = Signal()

    def __init__(self, paths: AppPaths, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._paths = paths
        self._tasks = tasks
        self._opening: Opening | None = None
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
            welcome = WelcomeDialog(key_setup=True, keyring_available=opening.keyring_available)
            welcome.chosen.connect(self._create)
            self._show(welcome)
        elif not opening.welcomed:
            welcome = WelcomeDialog(key_setup=False, keyring_available=False)
            welcome.chosen.connect(lambda _protection, _passphrase: self._after_welcome())
            self._show(welcome)
        else:
            self._after_welcome()

    def _after_welcome(self) -> None:
        assert self._opening is not None
        if self._opening.step is OpeningStep.PASSPHRASE:
            unlock = UnlockDialog()
            unlock.passphrase_entered.connect(self._unlock)
            self._show(unlock)
        else:
            self._tasks.run(self._open_hub, self._opened, self._cannot_open)

    def _create(self, protection: KeyProtection, passphrase: str | None) -> None:
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
    ) -> Hub:
        """On a worker thread: unlock (or make) the key, open the store, build the Hub."""
        store = open_chat_store(
            self._paths, passphrase=passphrase, first_run_protection=first_run_protection
        )
        try:
            hub = Hub(self._paths, store)
            if not hub.settings.welcomed:
                hub.change_settings(welcomed=True)
        except BaseException:
            store.close()
            raise
        return hub

    # -- Outcomes --------------------------------------------------------------------------

    def _opened(self, hub: Hub) -> None:
        self._show(None)
        self.ready.emit(hub)

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
