"""Answers that are still streaming: text buffered in memory, committed every fraction of a second.

:meth:`AnswerStreams.append` only appends to a list, so the engine's token loop
never waits for the disk or for the database lock. A background thread
commits each answer's pending text once its oldest piece is ``interval_s``
old, one transaction per answer (``content = content || ?``). A crash or
``kill -9`` therefore loses at most the last ``interval_s`` (plus one commit)
of text, never anything committed.

Locks, always taken in this order: ``flush_lock`` (one commit of pending text
at a time, so pieces can never be reordered), then the database lock (inside
``commit``), then the short-lived buffer lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nexthub.store.errors import StoreError

log = logging.getLogger(__name__)

#: Pending text waits at most this long before it is committed.
FLUSH_INTERVAL_S = 0.1

#: Appends ``text`` to the stored answer; False if the answer is gone or complete.
CommitFn = Callable[[str, str], bool]


@dataclass
class _Stream:
    pieces: list[str] = field(default_factory=list)
    #: monotonic time of the oldest uncommitted piece (None: nothing pending).
    pending_since: float | None = None
    #: A commit that failed in the background, raised by the next append.
    error: StoreError | None = None


class AnswerStreams:
    """Buffers of the answers being streamed, and the thread that commits them."""

    def __init__(self, commit: CommitFn, interval_s: float = FLUSH_INTERVAL_S) -> None:
        self._commit = commit
        self.interval_s = interval_s
        self.flush_lock = threading.RLock()
        # Held for every look at the buffers; ``_cond`` (on the same lock) wakes
        # the thread. ``with self._lock`` is the cheaper of the two to enter, and
        # an answer's every token passes through it.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._streams: dict[str, _Stream] = {}
        self._thread: threading.Thread | None = None
        self._stopping = False

    def __contains__(self, message_id: object) -> bool:
        with self._lock:
            return message_id in self._streams

    def open(self, message_id: str) -> None:
        """Start buffering for ``message_id`` (an incomplete answer in the database)."""
        with self._lock:
            self._streams.setdefault(message_id, _Stream())
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="nexthub-store-flusher", daemon=True
                )
                self._thread.start()
            self._cond.notify()  # an idle thread starts looking every interval

    def append(self, message_id: str, text: str) -> bool:
        """Buffer ``text``; False if ``message_id`` is not streaming here.

        Raises the error of a failed background commit (once); the text of
        that call is then not taken, and the text pending before stays pending.
        """
        with self._lock:
            stream = self._streams.get(message_id)
            if stream is None:
                return False
            if stream.error is not None:
                error, stream.error = stream.error, None
                self._cond.notify()  # the pending text is due for another try
                raise error
            if not text:
                return True
            stream.pieces.append(text)
            if stream.pending_since is None:
                # No notify: the thread looks again within the interval while
                # answers stream, and waking it costs more than the append.
                stream.pending_since = time.monotonic()
            return True

    def take(self, message_id: str) -> str | None:
        """Stop streaming ``message_id`` and return its uncommitted text (None if unknown).

        Call with :attr:`flush_lock` held, so no background commit is half done.
        """
        with self._lock:
            stream = self._streams.pop(message_id, None)
        return None if stream is None else "".join(stream.pieces)

    def restore(self, message_id: str, text: str) -> None:
        """Put back text that :meth:`take` returned when committing it failed."""
        with self._lock:
            stream = self._streams.setdefault(message_id, _Stream())
            if text:
                stream.pieces.insert(0, text)
                stream.pending_since = stream.pending_since or time.monotonic()

    def flush(self, message_id: str | None = None) -> None:
        """Commit pending text now: of one answer, or of all. Raises if a commit fails."""
        with self.flush_lock:
            with self._lock:
                ids = [message_id] if message_id is not None else list(self._streams)
            for one in ids:
                self._flush_one(one, raise_errors=True)

    def _flush_one(self, message_id: str, *, raise_errors: bool) -> None:
        with self._lock:
            stream = self._streams.get(message_id)
            if stream is None or not stream.pieces:
                return
            text = "".join(stream.pieces)
            stream.pieces.clear()
            stream.pending_since = None
        try:
            alive = self._commit(message_id, text)
        except StoreError as exc:
            with self._lock:
                stream.pieces.insert(0, text)
                stream.pending_since = time.monotonic()
                if not raise_errors:
                    stream.error = exc
            if raise_errors:
                raise
            log.warning("committing a streamed answer failed: %s", type(exc).__name__)
            return
        if not alive:
            # Deleted (or finished elsewhere) while streaming: nothing to keep.
            with self._lock:
                self._streams.pop(message_id, None)

    def _due(self, now: float) -> tuple[list[str], float | None]:
        """Streams whose pending text is due now, and the seconds until the next one."""
        due: list[str] = []
        wait: float | None = None
        for message_id, stream in self._streams.items():
            if stream.pending_since is None or stream.error is not None:
                continue
            left = stream.pending_since + self.interval_s - now
            if left <= 0:
                due.append(message_id)
            else:
                wait = left if wait is None else min(wait, left)
        return due, wait

    def _run(self) -> None:
        while True:
            with self._lock:
                if self._stopping:
                    return
                due, wait = self._due(time.monotonic())
                if not due:
                    # Appends do not wake this thread: while answers stream, it
                    # looks again within the interval, so pending text still
                    # waits at most ``interval_s``. With none, it sleeps until
                    # ``open`` (or a failed commit's retry) wakes it.
                    if wait is None and self._streams:
                        wait = self.interval_s
                    self._cond.wait(timeout=wait)
                    continue
            with self.flush_lock:
                for message_id in due:
                    self._flush_one(message_id, raise_errors=False)

    def close(self) -> None:
        """Stop the thread and commit what is pending (errors are logged, not raised)."""
        with self._lock:
            self._stopping = True
            thread, self._thread = self._thread, None
            self._cond.notify_all()
        if thread is not None:
            thread.join()
        with self.flush_lock:
            for message_id in list(self._streams):
                self._flush_one(message_id, raise_errors=False)
