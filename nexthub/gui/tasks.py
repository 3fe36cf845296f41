"""Run blocking service calls off the Qt main thread and get the result back on it.

Every call into the service layer may wait (on the engine, the database or
the disk), so widgets never make one on the main thread. They hand it to a
:class:`TaskRunner`, which runs it on a worker thread and delivers the result,
or the exception, to a callback on the main thread through a queued signal.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Worker threads. Store calls are short and serialised by the store's lock
#: anyway; more threads only let a slow call (a model load) not block a quick one.
WORKERS = 4


class _Delivery(QObject):
    """Lives on the main thread; its signal carries results across threads."""

    delivered = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.delivered.connect(self._run)

    @Slot(object)
    def _run(self, callback: Callable[[], None]) -> None:
        callback()


class TaskRunner:
    """Runs callables on worker threads; callbacks run on the Qt main thread."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nexthub-task")
        self._delivery = _Delivery()
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def run(
        self,
        work: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> Future[T]:
        """Run ``work`` off the main thread; then ``on_done(result)`` or ``on_error(exc)`` on it.

        Without ``on_error`` an exception is logged (with its type only: a
        message may quote chat text, and logs hold no content).
        """
        future = self._pool.submit(work)
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(lambda f: self._finished(f, on_done, on_error))
        return future

    def call_on_main_thread(self, callback: Callable[[], None]) -> None:
        """Queue ``callback`` to run on the Qt main thread (safe from any thread)."""
        if not self._closed:
            self._delivery.delivered.emit(callback)

    def pending(self) -> int:
        """Tasks whose callback has not run yet (tests wait for 0)."""
        with self._lock:
            return len(self._pending)

    def shutdown(self) -> None:
        """Wait for running tasks and stop the threads (at window close)."""
        self._closed = True
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _finished(
        self,
        future: Future[T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        """Hand the outcome to the main thread; the task stays pending until it is handled."""
        error = None if future.cancelled() else future.exception()

        def deliver() -> None:
            with self._lock:
                self._pending.discard(future)
            if future.cancelled() or not _owner_alive(on_done) or not _owner_alive(on_error):
                return
            if error is None:
                if on_done is not None:
                    on_done(future.result())
            elif on_error is not None:
                on_error(error)
            else:
                logger.error("background task failed: %s", type(error).__name__)

        if self._closed:
            with self._lock:
                self._pending.discard(future)
            return
        self._delivery.delivered.emit(deliver)


def right_away(action: Callable[[], None]) -> None:
    """Run ``action`` now: the ``before_wipe`` of a caller with nothing to stop first."""
    action()


def _owner_alive(callback: Callable[..., None] | None) -> bool:
    """False when ``callback`` is a method of a Qt object that was deleted meanwhile.

    A widget closed while its task ran (a dialog shut mid-download) must not
    be called back: its C++ side is gone and PySide raises RuntimeError.
    """
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)
