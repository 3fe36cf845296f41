"""Run blocking service calls off the Qt main thread and get the result back on it.

Every call into the service layer may wait (on the engine, the database or
the disk), so widgets never make one on the main thread. They hand it to a
:class:`TaskRunner`, which runs it on a worker thread and delivers the result,
or the exception, to a callback on the main thread through a queued signal.

A widget can be deleted while its task runs (a dialog closed mid-download, a
page replaced after a wipe); calling back into it then raises, since its C++
side is gone. Each widget therefore works through its own view of the runner,
``tasks.owned_by(self)``: callbacks queued through that view are dropped once
the widget is deleted, whatever form they take (bound methods, lambdas,
nested functions).
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


class _Shared:
    """What every view of one runner shares: the threads, the delivery, the pending set."""

    def __init__(self, workers: int) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nexthub-task")
        self.delivery = _Delivery()
        self.pending: set[Future[Any]] = set()
        self.lock = threading.Lock()
        self.closed = False


class TaskRunner:
    """Runs callables on worker threads; callbacks run on the Qt main thread."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._shared = _Shared(workers)
        self._owner: QObject | None = None

    def owned_by(self, owner: QObject) -> TaskRunner:
        """A view of this runner whose callbacks are dropped once ``owner`` is deleted.

        It shares the threads and the pending count with this runner; widgets
        keep one as their ``_tasks`` and hand the plain runner to children,
        which take their own view.
        """
        view = TaskRunner.__new__(TaskRunner)
        view._shared, view._owner = self._shared, owner
        return view

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
        shared = self._shared
        future = shared.pool.submit(work)
        with shared.lock:
            shared.pending.add(future)
        future.add_done_callback(lambda f: self._finished(f, on_done, on_error))
        return future

    def call_on_main_thread(self, callback: Callable[[], None]) -> None:
        """Queue ``callback`` to run on the Qt main thread (safe from any thread)."""
        if self._shared.closed:
            return

        def deliver() -> None:
            if self._alive():
                callback()

        self._shared.delivery.delivered.emit(deliver)

    def pending(self) -> int:
        """Tasks whose callback has not run yet (tests wait for 0)."""
        with self._shared.lock:
            return len(self._shared.pending)

    def shutdown(self) -> None:
        """Wait for running tasks and stop the threads (at window close)."""
        self._shared.closed = True
        self._shared.pool.shutdown(wait=True, cancel_futures=True)

    def _alive(self) -> bool:
        """False once this view's owner has been deleted."""
        return self._owner is None or shiboken6.isValid(self._owner)

    def _finished(
        self,
        future: Future[T],
        on_done: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        """Hand the outcome to the main thread; the task stays pending until it is handled."""
        shared = self._shared
        error = None if future.cancelled() else future.exception()

        def deliver() -> None:
            with shared.lock:
                shared.pending.discard(future)
            if future.cancelled() or not self._alive():
                return
            if not _owner_alive(on_done) or not _owner_alive(on_error):
                return
            if error is None:
                if on_done is not None:
                    on_done(future.result())
            elif on_error is not None:
                on_error(error)
            else:
                logger.error("background task failed: %s", type(error).__name__)

        if shared.closed:
            with shared.lock:
                shared.pending.discard(future)
            return
        shared.delivery.delivered.emit(deliver)


def right_away(action: Callable[[], None]) -> None:
    """Run ``action`` now: the ``before_wipe`` of a caller with nothing to stop first."""
    action()


def _owner_alive(callback: Callable[..., None] | None) -> bool:
    """False when ``callback`` is a method of a Qt object that was deleted meanwhile.

    This covers callers without an owned view (see the module docstring),
    as long as their callbacks are bound methods.
    """
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)
