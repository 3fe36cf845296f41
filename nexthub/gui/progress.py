"""Progress from a worker thread, shown on the main thread without flooding it.

A download reports every 64 KB and a model copy every 4 MB: tens of thousands
of calls for a large model. Queuing each one to the Qt main thread would keep
it busy redrawing; :class:`ProgressRelay` passes one on only when the shown
value (in tenths of a percent) changes, so at most about a thousand reach it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from nexthub.gui.tasks import TaskRunner

#: Steps a bar is drawn in: tenths of a percent.
STEPS = 1000


class ProgressRelay:
    """Called from any thread with progress; calls ``show(done, total)`` on the main thread."""

    def __init__(self, tasks: TaskRunner, show: Callable[[int, int], None]) -> None:
        self._tasks = tasks
        self._show = show
        self._last = -1
        self._lock = threading.Lock()

    def bytes_done(self, done: int, total: int | None) -> None:
        """A byte count of a total (a download, a copy); a ProgressCallback."""
        total = total or 0
        step = done * STEPS // total if total else 0
        with self._lock:
            if step == self._last:
                return
            self._last = step
        self._tasks.call_on_main_thread(lambda: self._show(done, total))
