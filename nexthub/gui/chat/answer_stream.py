"""An answer's events, read on a worker thread and handed to the main thread in batches.

Reading the engine's events blocks (on the worker's pipe, and on the store
when the prompt is saved), so a worker thread reads them and only appends to
a buffer under a lock. A timer on the main thread drains the buffer every
:data:`DRAIN_INTERVAL_MS`: however fast a model writes, the view is updated
at most about 60 times a second, and each update carries all the text that
arrived since the last one. Nothing crosses threads but plain values.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from nexthub.engine import ChatEvent, ChatFinished, ContextTrimmed, TextDelta
from nexthub.gui.tasks import TaskRunner

#: How often the main thread takes what arrived (16 ms: about 60 updates a second).
DRAIN_INTERVAL_MS = 16


@dataclass(frozen=True)
class StreamOutcome:
    """How an answer ended: the engine's last event, or the exception that stopped it."""

    final: ChatFinished | None
    error: BaseException | None
    #: All the text that arrived, in order.
    text: str


class AnswerStream(QObject):
    """Runs one request's event iterator off the main thread; signals on the main thread."""

    #: The request was accepted (the prompt is saved): no payload.
    started = Signal()
    #: New answer text since the last emission (at most one every DRAIN_INTERVAL_MS).
    text_arrived = Signal(str)
    #: The engine left old turns out of the prompt: the ContextTrimmed event.
    context_trimmed = Signal(object)
    #: The answer ended: a StreamOutcome. Always the last signal.
    finished = Signal(object)

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks.owned_by(self)
        self._lock = threading.Lock()
        self._text: list[str] = []
        self._trimmed: list[ContextTrimmed] = []
        self._accepted = False
        self._done = False
        self._final: ChatFinished | None = None
        self._error: BaseException | None = None
        self._received: list[str] = []
        self._announced = False
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(DRAIN_INTERVAL_MS)
        self._timer.timeout.connect(self._drain)
        #: How many times text_arrived was emitted (the benchmark reports it).
        self.updates = 0

    @property
    def running(self) -> bool:
        """Started and not yet finished (on the main thread's side)."""
        return self._timer.isActive()

    def start(self, begin: Callable[[], Iterable[ChatEvent]]) -> None:
        """Call ``begin`` on a worker thread and read the events it returns.

        ``begin`` is where the request's own blocking work happens (saving the
        prompt); an exception from it ends the stream like one from the events.
        """
        if self._timer.isActive():
            raise RuntimeError("an AnswerStream runs one request")
        self._timer.start()
        self._tasks.run(lambda: self._pump(begin))

    def _pump(self, begin: Callable[[], Iterable[ChatEvent]]) -> None:
        """The worker thread's loop: only appends to the buffer."""
        try:
            events = begin()
            with self._lock:
                self._accepted = True
            for event in events:
                with self._lock:
                    if isinstance(event, TextDelta):
                        self._text.append(event.text)
                    elif isinstance(event, ContextTrimmed):
                        self._trimmed.append(event)
                    elif isinstance(event, ChatFinished):
                        self._final = event
        except BaseException as exc:  # handed to the main thread, which reports it
            with self._lock:
                self._error = exc
        finally:
            with self._lock:
                self._done = True

    def _drain(self) -> None:
        """Main thread, every DRAIN_INTERVAL_MS: emit what arrived since the last drain."""
        with self._lock:
            accepted, done = self._accepted, self._done
            text, self._text = "".join(self._text), []
            trimmed, self._trimmed = self._trimmed, []
        if accepted and not self._announced:
            self._announced = True
            self.started.emit()
        for event in trimmed:
            self.context_trimmed.emit(event)
        if text:
            self._received.append(text)
            self.updates += 1
            self.text_arrived.emit(text)
        if done:
            self._timer.stop()
            with self._lock:
                outcome = StreamOutcome(self._final, self._error, "".join(self._received))
            self.finished.emit(outcome)
