"""The app's handle on the engine: starts, talks to, and restarts the worker.

One :class:`Engine` owns at most one worker process and serves one request at
a time (a lock; callers that need fairness queue in the service layer).
``cancel()`` may be called from any thread while another thread reads an
answer. If the worker dies, the answer in progress ends with
``finish_reason="error"`` and the text so far; the next request starts a fresh
worker and reloads the same model. :attr:`Engine.on_worker_exit` and
:attr:`Engine.on_worker_restart` let the service layer count such deaths
(by exit status only) and recoveries.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection
from pathlib import Path

from nexthub.engine import protocol, worker_process
from nexthub.engine.errors import (
    ContextOverflowError,
    EngineError,
    GrammarError,
    ModelLoadError,
    NoModelLoadedError,
    WorkerCrashedError,
)
from nexthub.engine.types import (
    ChatEvent,
    ChatFinished,
    ChatMessage,
    Embeddings,
    HardwareReport,
    LoadProgress,
    LoadSettings,
    ModelInfo,
    SamplingSettings,
    TextDelta,
    Timings,
    Usage,
)

#: Seconds a cancelled request may take to wind down before the worker is killed.
CANCEL_GRACE_S = 2.0
#: Longest wait for the worker's next message before looking again whether it is alive.
#: A worker that dies closes its end, which ends the wait at once, so this only
#: bounds how late a hung worker is noticed. Every wake of the app's process takes
#: CPU from llama.cpp's threads (TextDeltas already wake it 10 times a second).
IDLE_POLL_S = 0.25
#: The wait once a cancel is pending, so one ignored too long is acted on promptly.
_CANCEL_POLL_S = 0.05

_ERRORS: dict[str, type[EngineError]] = {
    cls.__name__: cls
    for cls in (EngineError, GrammarError, ModelLoadError, NoModelLoadedError, ContextOverflowError)
}


class Engine:
    """Runs GGUF models in a worker process; see the module docstring."""

    def __init__(self, *, cancel_grace_s: float = CANCEL_GRACE_S) -> None:
        self._cancel_grace_s = cancel_grace_s
        self._request_lock = threading.Lock()  # one request at a time
        self._send_lock = threading.Lock()  # cancel() sends from other threads
        self._process: worker_process.WorkerProcess | None = None
        self._conn: Connection | None = None
        self._ids = itertools.count(1)
        self._active_request: int | None = None
        self._cancel_requested_at: float | None = None
        self._loaded: tuple[Path, LoadSettings] | None = None
        self._model_info: ModelInfo | None = None
        self._worker_died = False
        self._closed = False  # after close(), no request may start a worker again
        #: Called with the exit status (negative: a signal) when the worker dies unexpectedly.
        self.on_worker_exit: Callable[[int | None], None] | None = None
        #: Called when a worker is started again after one died.
        self.on_worker_restart: Callable[[], None] | None = None

    # -- public API -----------------------------------------------------------------

    @property
    def model_info(self) -> ModelInfo | None:
        """The loaded model, or None."""
        return self._model_info

    @property
    def worker_pid(self) -> int | None:
        """The worker's process id while it runs (for diagnostics and tests)."""
        return self._process.pid if self._process and self._process.is_alive() else None

    def load(
        self,
        path: Path,
        settings: LoadSettings | None = None,
        on_progress: Callable[[float], None] | None = None,
    ) -> ModelInfo:
        """Load a model, reporting progress (0..1); ``cancel()`` aborts the load."""
        settings = settings or LoadSettings()
        with self._request_lock:
            self._loaded, self._model_info = None, None
            info = self._load_locked(Path(path), settings, on_progress)
            self._loaded, self._model_info = (Path(path), settings), info
            return info

    def chat(
        self, messages: Sequence[ChatMessage], sampling: SamplingSettings | None = None
    ) -> Iterator[ChatEvent]:
        """Stream the answer to a conversation; the last event is a ChatFinished."""
        command_for = _chat_command(tuple(messages), sampling or SamplingSettings())
        return self._stream(command_for)

    def complete(
        self, prompt: str, sampling: SamplingSettings | None = None
    ) -> Iterator[ChatEvent]:
        """Stream a continuation of raw text, without the chat template."""
        sampling = sampling or SamplingSettings()
        return self._stream(lambda rid: protocol.CompleteCommand(rid, prompt, sampling))

    def embed(self, texts: Sequence[str]) -> Embeddings:
        """One unit-length vector per text, from the loaded model (blocks until done)."""
        with self._request_lock:
            self._reload_if_worker_died()
            reply = self._request(protocol.EmbedCommand(next(self._ids), tuple(texts)))
            assert isinstance(reply, Embeddings)
            return reply

    def cancel(self) -> None:
        """Stop the answer or load in progress (from any thread); no-op when idle."""
        request = self._active_request
        if request is None or self._conn is None:
            return
        if self._cancel_requested_at is None:
            self._cancel_requested_at = time.monotonic()
        try:
            with self._send_lock:
                self._conn.send(protocol.CancelCommand(request))
        except OSError:
            pass  # the worker is gone; the reader notices

    def unload(self) -> None:
        """Free the model's memory (the worker stays up for the next load)."""
        with self._request_lock:
            self._loaded, self._model_info = None, None
            if self._worker_alive():
                self._request(protocol.UnloadCommand(next(self._ids)))

    def probe_hardware(self) -> HardwareReport:
        """What llama.cpp sees of this machine, read inside the worker."""
        with self._request_lock:
            reply = self._request(protocol.ProbeCommand(next(self._ids)))
            assert isinstance(reply, HardwareReport)
            return reply

    def close(self) -> None:
        """Stop the worker (frees everything it held); the engine takes no request after this.

        A request still waiting for its turn (a load queued by a window that is
        closing) would otherwise start a fresh worker after the app let go of
        the engine, and that worker would hold the model until the app exits.
        """
        self._closed = True
        self.cancel()
        with self._request_lock:
            self._stop_worker()
            self._loaded, self._model_info = None, None

    def kill_worker(self) -> None:
        """Kill the worker outright, as a crash would (tests and last resorts)."""
        if self._process is not None:
            self._process.kill()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- requests -------------------------------------------------------------------

    def _load_locked(
        self, path: Path, settings: LoadSettings, on_progress: Callable[[float], None] | None
    ) -> ModelInfo:
        reply = self._request(
            protocol.LoadCommand(next(self._ids), str(path), settings),
            on_event=lambda e: (
                on_progress(e.fraction) if on_progress and isinstance(e, LoadProgress) else None
            ),
            crash_error=ModelLoadError,
        )
        assert isinstance(reply, protocol.Loaded)
        return reply.info

    def _request(
        self,
        command: protocol.Command,
        on_event: Callable[[object], None] | None = None,
        crash_error: type[EngineError] = WorkerCrashedError,
    ) -> object:
        """Send a command and wait for its final reply, passing other events on."""
        conn = self._ensure_worker()
        self._begin(command.request_id)
        try:
            with self._send_lock:
                conn.send(command)
            while True:
                message = self._receive(conn, crash_error)
                if isinstance(message, protocol.Failed):
                    raise _ERRORS.get(message.kind, EngineError)(message.message)
                if isinstance(message, LoadProgress):
                    if on_event:
                        on_event(message)
                    continue
                return message
        finally:
            self._end()

    def _stream(self, command_for: Callable[[int], protocol.Command]) -> Iterator[ChatEvent]:
        with self._request_lock:
            self._reload_if_worker_died()
            conn = self._ensure_worker()
            command = command_for(next(self._ids))
            self._begin(command.request_id)
            text: list[str] = []
            finished = False
            try:
                with self._send_lock:
                    conn.send(command)
                while True:
                    try:
                        message = self._receive(conn, WorkerCrashedError)
                    except WorkerCrashedError as exc:
                        finished = True
                        yield _unfinished(text, "error", str(exc))
                        return
                    except _CancelTimeoutError:
                        finished = True
                        yield _unfinished(text, "cancelled", None)
                        return
                    if isinstance(message, protocol.Failed):
                        finished = True
                        raise _ERRORS.get(message.kind, EngineError)(message.message)
                    if isinstance(message, TextDelta):
                        text.append(message.text)
                    if isinstance(message, ChatFinished):
                        # Finished before the yield: a caller may stop reading right here.
                        finished = True
                        yield message
                        return
                    yield message  # type: ignore[misc]
            finally:
                if not finished:  # the caller stopped reading: wind the answer down
                    self._abandon(conn)
                self._end()

    def _reload_if_worker_died(self) -> None:
        """Refuse without a model; after a crash, start over with the same model."""
        if self._loaded is None:
            raise NoModelLoadedError("No model is loaded. Load a model first.")
        if not self._worker_alive():
            path, settings = self._loaded
            self._model_info = self._load_locked(path, settings, None)

    def _abandon(self, conn: Connection) -> None:
        """Cancel an answer nobody reads any more and drain it, so the pipe stays in step."""
        self.cancel()
        try:
            while not isinstance(self._receive(conn, WorkerCrashedError), ChatFinished):
                pass
        except (EngineError, _CancelTimeoutError):
            pass

    # -- the worker process ---------------------------------------------------------

    def _begin(self, request_id: int) -> None:
        self._active_request, self._cancel_requested_at = request_id, None

    def _end(self) -> None:
        self._active_request, self._cancel_requested_at = None, None

    def _receive(self, conn: Connection, crash_error: type[EngineError]) -> object:
        """The next message, noticing a dead worker and a cancel that is ignored too long."""
        while True:
            wait = IDLE_POLL_S if self._cancel_requested_at is None else _CANCEL_POLL_S
            try:
                if conn.poll(wait):
                    return conn.recv()
            except (EOFError, OSError):
                raise self._crashed(crash_error) from None
            if not self._worker_alive():
                raise self._crashed(crash_error)
            asked = self._cancel_requested_at
            if asked is not None and time.monotonic() - asked > self._cancel_grace_s:
                self._stop_worker()  # last resort; the model reloads on the next request
                raise _CancelTimeoutError

    def _crashed(self, error: type[EngineError]) -> EngineError:
        code = self._process.wait(timeout=1) if self._process else None
        self._discard_worker()
        self._worker_died = True
        if self.on_worker_exit is not None:
            self.on_worker_exit(code)
        how = _describe_exit(code)
        if error is ModelLoadError:
            return ModelLoadError(
                f"The model worker stopped while loading the model ({how}). The file may be "
                "damaged or need more memory than is free."
            )
        return error(
            f"The model worker stopped unexpectedly ({how}). What was written so far is kept; "
            "the next message starts the model again."
        )

    def _ensure_worker(self) -> Connection:
        if self._closed:
            raise EngineError("The engine was closed: NextHub is shutting it down.")
        if self._worker_alive():
            assert self._conn is not None
            return self._conn
        self._discard_worker()
        self._process = worker_process.start()
        self._conn = self._process.connection
        if self._worker_died:
            self._worker_died = False
            if self.on_worker_restart is not None:
                self.on_worker_restart()
        return self._conn

    def _worker_alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def _stop_worker(self) -> None:
        if self._process is None:
            return
        if self._conn is not None:
            self._conn.close()  # the worker's recv sees EOF and returns
        self._process.stop(grace_s=3)
        self._discard_worker()

    def _discard_worker(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._process, self._conn = None, None


class _CancelTimeoutError(Exception):
    """The worker ignored a cancel for too long and was stopped."""


def _chat_command(
    messages: tuple[ChatMessage, ...], sampling: SamplingSettings
) -> Callable[[int], protocol.Command]:
    if not messages:
        raise ValueError("a chat needs at least one message")
    return lambda rid: protocol.ChatCommand(rid, messages, sampling)


def _unfinished(text: list[str], reason: str, error: str | None) -> ChatFinished:
    """The final event for an answer whose worker could not say it itself."""
    return ChatFinished(
        finish_reason=reason,  # type: ignore[arg-type]
        text="".join(text),
        usage=Usage(prompt_tokens=0, prompt_tokens_evaluated=0, completion_tokens=0),
        timings=Timings(0.0, 0.0, 0.0, 0.0),
        error=error,
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "no exit status"
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit status {code}"
