"""Python's cycle collector runs on the Qt main thread only, while the app is up.

The collector normally runs in whichever thread allocates the object that
crosses a generation's threshold: often one of the task runner's workers.
Cyclic garbage can hold Qt objects: an exception kept in a finished Future
keeps its traceback, whose frames hold the callbacks, whose ``self`` is a
dialog. Collected on a worker, that dialog's C++ destructor runs off the
main thread while the main thread may be painting it, and the process dies
with a segmentation fault (CI saw exactly this in the startup tests).

So :class:`MainThreadCollector` turns automatic collection off and does the
same work from a timer on the main thread: each tick it compares the
generation counts with the interpreter's thresholds and collects the oldest
generation that is due, as the interpreter would have. Objects freed by
reference counting (nearly all) are unaffected; cyclic garbage waits at most
one tick.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the main thread checks whether a collection is due.
CHECK_INTERVAL_MS = 500


class MainThreadCollector(QObject):
    """Owns the cycle collector between :meth:`start` and :meth:`stop`."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled = False

    def start(self) -> None:
        """Stop automatic collection; the main thread's timer takes over."""
        if not self._timer.isActive():
            self._was_enabled = gc.isenabled()
            gc.disable()
            self._timer.start()

    def stop(self) -> None:
        """Collect what is left, on this (the main) thread, and hand collection back."""
        if self._timer.isActive():
            self._timer.stop()
            gc.collect()
            if self._was_enabled:
                gc.enable()

    def collect_due(self) -> int | None:
        """Collect the oldest generation past its threshold; its number, or None if none was."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return generation
        return None
