"""The desktop app's "Uninstall NextHub…": what ``nexthub uninstall`` does, from a menu.

On macOS it is the only way to remove NextHub's data (dragging the app to
the Trash leaves every folder behind); it is offered on every platform. It
shows what will go (the wipe plan, the way the program is removed), asks,
then runs :func:`nexthub.service.uninstall.uninstall_hub`, the CLI's own
steps: the wipe, then the remover for the install kind detected, or the exact
instructions to finish. Then it says what was done and what is left, and
:attr:`Uninstaller.uninstalled` tells the app to quit: the hub is closed and
its data gone. A wipe that fails after the hub was closed leaves the chats
intact; :attr:`Uninstaller.failed` tells the app to open them again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from nexthub.gui.errors import describe
from nexthub.gui.notice import confirm, tell
from nexthub.gui.tasks import TaskRunner, right_away
from nexthub.service.hub import Hub
from nexthub.service.uninstall import UninstallPlan, UninstallReport, uninstall_hub, uninstall_plan

TITLE = "Uninstall NextHub"


class Uninstaller(QObject):
    """Asks, uninstalls, and tells the app when it is done (see the module docstring)."""

    #: Data deleted and the program removed (or what is left said): the app quits.
    uninstalled = Signal()
    #: The wipe failed after the hub was closed (the chats are intact); carries what went wrong.
    failed = Signal(str)

    def __init__(
        self,
        hub: Hub,
        tasks: TaskRunner,
        window: QWidget,
        *,
        before_wipe: Callable[[Callable[[], None]], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._hub = hub
        self._tasks = tasks.owned_by(self)
        self._window = window
        #: Runs its argument once nothing writes to the store (an answer is stopped first).
        self._before_wipe = before_wipe or right_away

    @Slot()
    def ask(self) -> None:
        """Find out what would go and how the program is removed, then ask."""
        paths = self._hub.paths
        self._tasks.run(lambda: uninstall_plan(paths), self._confirm, self._cannot_plan)

    def _confirm(self, plan: UninstallPlan) -> None:
        listing = plan.wipe.goes_text() or "(NextHub keeps no data here.)"
        text = "This deletes, for good:\n\n" + listing
        if not confirm(
            self._window,
            TITLE,
            f"{text}\n\n{plan.program_step()}",
            action="Uninstall",
            details=f"{plan.wipe.consequences} To keep your chats, export them first "
            "(Privacy and data). NextHub quits when it is done.",
        ):
            return
        hub, removal = self._hub, plan.removal

        def run() -> None:
            self._tasks.run(lambda: uninstall_hub(hub, removal), self._done, self._failed)

        self._before_wipe(run)

    def _done(self, report: UninstallReport) -> None:
        text = "Deleted every chat and its key, and everything else NextHub kept."
        if report.wipe.warning:
            text += f" {report.wipe.warning}"
        tell(self._window, TITLE, text, details="\n\n".join(report.said))
        self.uninstalled.emit()

    def _cannot_plan(self, error: BaseException) -> None:
        tell(self._window, TITLE, f"Nothing was deleted. {describe(error)}")

    def _failed(self, error: BaseException) -> None:
        self.failed.emit(describe(error))
