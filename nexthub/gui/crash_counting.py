"""Counting the desktop app's uncaught exceptions for telemetry, then handing them on.

An exception that reaches the top of a Qt slot or of a thread is a bug. Its
signature (type and NextHub's own innermost frames, sanitised by the
telemetry package: never a message, a path or a variable) is counted, and
the exception goes on to the hook that was there before, which prints it as
usual. Nothing is counted unless the user said yes.
"""

from __future__ import annotations

import sys
import threading
from types import TracebackType

from nexthub.service.telemetry_access import Telemetry


class CrashCounter:
    """Installs the hooks while the app runs; :attr:`crashed` says whether any fired."""

    def __init__(self, telemetry: Telemetry) -> None:
        self._telemetry = telemetry
        self._previous = sys.excepthook
        self._previous_thread = threading.excepthook
        #: Whether an uncaught exception was seen (the session did not end cleanly).
        self.crashed = False

    def install(self) -> None:
        """Count every uncaught exception from now on."""
        sys.excepthook = self._hook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Put the earlier hooks back."""
        sys.excepthook = self._previous
        threading.excepthook = self._previous_thread

    def _hook(
        self,
        kind: type[BaseException],
        error: BaseException,
        traceback: TracebackType | None,
    ) -> None:
        self._count(error)
        self._previous(kind, error, traceback)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self._count(args.exc_value)
        self._previous_thread(args)

    def _count(self, error: BaseException) -> None:
        if isinstance(error, KeyboardInterrupt | SystemExit):
            return
        self.crashed = True
        self._telemetry.crash(error)
