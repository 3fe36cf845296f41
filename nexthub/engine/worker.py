"""The engine's worker process: the only place llama.cpp runs.

Running llama.cpp in a child process means that when it aborts (a bad file, an
allocation failure, an assertion) or is killed, only the worker dies; the app
reports a clear error and starts a fresh worker for the next request.

The worker serves one command at a time from its pipe. While it answers or
loads, it polls the pipe between tokens (one ``poll`` syscall on a poll object
registered once) so a Cancel takes effect after at most one token or one
prompt batch. An answer's text goes back gathered into a few messages a
second (``coalescer.py``), not one message per token.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import select
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from nexthub.engine import protocol
from nexthub.engine.coalescer import DeltaCoalescer
from nexthub.engine.errors import EngineError, NoModelLoadedError
from nexthub.engine.types import LoadProgress, LoadSettings

if TYPE_CHECKING:  # llama_session loads llama.cpp: import it only in the worker
    from nexthub.engine.llama_session import LlamaSession, LoadPlan

log = logging.getLogger(__name__)

#: The last lines llama.cpp logged, to explain a failed load.
_recent_log: collections.deque[str] = collections.deque(maxlen=20)


def run_worker(conn: Connection) -> None:
    """Entry point of the worker process; returns when the app closes the pipe."""
    # Ctrl-C in a terminal reaches the whole process group; the app decides what
    # it means (cancel the answer), so the worker must not die of it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _route_llama_logs()
    Worker(conn).serve()


class Worker:
    """Holds at most one loaded model and serves commands from the pipe."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._message_waiting = _message_check(conn)
        self._session: LlamaSession | None = None
        self._current: int | None = None
        self._cancelled = False

    def serve(self) -> None:
        """Serve commands until the pipe closes."""
        while True:
            try:
                command = self._conn.recv()
            except (EOFError, OSError):
                return
            if isinstance(command, protocol.CancelCommand):
                continue  # for an answer that already finished
            self._current, self._cancelled = command.request_id, False
            try:
                self._conn.send(self._handle(command))
            except EngineError as exc:
                self._conn.send(protocol.Failed(type(exc).__name__, str(exc)))
            except Exception as exc:  # a bug: report it rather than die silently
                log.exception("worker command failed")
                self._conn.send(protocol.Failed(type(exc).__name__, f"Internal error: {exc!r}"))
            finally:
                self._current = None

    def _handle(self, command: protocol.Command) -> object:
        from nexthub.engine.llama_session import LlamaSession

        if isinstance(command, protocol.LoadCommand):
            self._unload()
            plan = _plan_load(Path(command.path), command.settings)
            _recent_log.clear()
            try:
                session = LlamaSession(plan, self._on_progress)
            except EngineError as exc:
                detail = _last_error_line()
                raise type(exc)(f"{exc} {detail}".strip()) from exc
            self._session = session
            return protocol.Loaded(session.info())
        if isinstance(command, protocol.UnloadCommand):
            self._unload()
            return protocol.Done()
        if isinstance(command, protocol.ProbeCommand):
            from nexthub.engine.hardware import probe_llama_hardware

            return probe_llama_hardware()
        loaded = self._session
        if loaded is None:
            raise NoModelLoadedError("No model is loaded. Load a model first.")
        emit = DeltaCoalescer(self._conn.send)
        if isinstance(command, protocol.ChatCommand):
            finished = loaded.chat(command.messages, command.sampling, emit, self._stop)
        elif isinstance(command, protocol.CompleteCommand):
            finished = loaded.complete(command.prompt, command.sampling, emit, self._stop)
        elif isinstance(command, protocol.EmbedCommand):
            return loaded.embed(command.texts, self._stop)
        else:
            raise EngineError(f"Unknown command {type(command).__name__}.")
        emit.flush()  # the last text goes before the ChatFinished that serve() sends
        return finished

    def _unload(self) -> None:
        if self._session is not None:
            self._session.close()
        self._session = None

    def _stop(self) -> bool:
        """True once a Cancel for the current request has arrived."""
        while not self._cancelled and self._message_waiting():
            message = self._conn.recv()
            if isinstance(message, protocol.CancelCommand):
                self._cancelled = message.request_id == self._current
            else:  # the app sends nothing else mid-request; refuse loudly
                self._conn.send(protocol.Failed("EngineError", "Engine busy."))
        return self._cancelled

    def _on_progress(self, fraction: float) -> bool:
        self._conn.send(LoadProgress(fraction))
        return not self._stop()


def _plan_load(path: Path, settings: LoadSettings) -> LoadPlan:
    """Resolve threads and GPU layers for this machine."""
    from nexthub.engine.gpu_fit import read_model_shape, resolve_gpu_layers
    from nexthub.engine.hardware import (
        default_batch_threads,
        default_threads,
        free_gpu_memory,
        probe_llama_hardware,
    )
    from nexthub.engine.llama_session import LoadPlan

    if settings.gpu_layers != "auto":
        gpu_layers = max(0, settings.gpu_layers)  # the user's number; llama.cpp clamps it
    else:
        gpu_layers = 0
        free = free_gpu_memory(probe_llama_hardware())
        if free > 0:  # reading the shape costs a header parse: only when a GPU can take layers
            shape = read_model_shape(path)
            context = settings.context_size or min(
                shape.training_context or settings.max_auto_context, settings.max_auto_context
            )
            gpu_layers = resolve_gpu_layers("auto", shape, context, free)
    return LoadPlan(
        path=path,
        settings=settings,
        threads=settings.threads or default_threads(),
        batch_threads=settings.batch_threads or default_batch_threads(),
        gpu_layers=gpu_layers,
    )


def _route_llama_logs() -> None:
    """Keep llama.cpp's log off the terminal; remember the last lines for errors."""
    import llama_cpp.llama_cpp as llama

    @llama.llama_log_callback  # type: ignore[untyped-decorator]
    def on_log(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        line = text.decode("utf-8", "replace").strip()
        if line:
            _recent_log.append(line)

    global _log_callback  # noqa: PLW0603 - the C side holds only a raw pointer
    _log_callback = on_log
    llama.llama_log_set(on_log, ctypes.c_void_p(0))


_log_callback: object = None


def _last_error_line() -> str:
    """llama.cpp's own explanation of a failed load, if it logged one."""
    for line in reversed(_recent_log):
        if "error" in line.lower() or "failed" in line.lower() or "unknown" in line.lower():
            return f"llama.cpp said: {line}"
    return ""


def _message_check(conn: Connection) -> Callable[[], bool]:
    """A check, made between tokens, of whether the app sent something (a Cancel).

    ``Connection.poll(0)`` builds a selector on every call; a poll object made
    once is one syscall. Windows has no ``select.poll``: there the
    connection's own poll is used.
    """
    if sys.platform == "win32":
        return lambda: conn.poll(0)
    readable = select.poll()
    readable.register(conn.fileno(), select.POLLIN)
    return lambda: bool(readable.poll(0))


if __name__ == "__main__":
    from nexthub.engine.worker_process import connect_from_environment

    run_worker(connect_from_environment())
