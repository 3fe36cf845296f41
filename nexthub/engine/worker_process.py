"""Start the engine worker as a fresh interpreter connected by a socket pair.

Why not ``multiprocessing``: its ``spawn`` start method re-runs the app's
``__main__`` in the child (importing the whole GUI into the worker, and
failing outright for code run from stdin or an embedded interpreter), and
``fork`` would copy the app's threads and locks. A plain subprocess running
``python -m nexthub.engine.worker`` imports only what the worker needs, and
``multiprocessing.connection.Connection`` still gives message framing and
pickling over the socket.

How the worker gets its end of the socket: on POSIX it inherits the file
descriptor (``pass_fds``) and finds its number in the environment. Windows
cannot inherit a socket that way; there the app duplicates it for the
worker's process id with ``socket.share`` and writes those bytes to the
worker's stdin, and the worker rebuilds it with ``socket.fromshare``. (No
Windows machine runs the tests yet: that path is written from the
documentation of ``socket.share``, and ``Connection`` takes a socket handle
on Windows.)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from multiprocessing.connection import Connection

from nexthub.engine.errors import EngineError

#: Environment variable naming the inherited socket's file descriptor.
FD_ENV = "NEXTHUB_ENGINE_FD"
#: Environment variable saying the socket comes on stdin, from ``socket.share`` (Windows).
SHARED_ENV = "NEXTHUB_ENGINE_SHARED_SOCKET"
#: Secrets the worker never needs, kept out of its environment (and /proc/PID/environ).
_WITHHELD_ENV = ("NEXTHUB_PASSPHRASE",)


@dataclass
class WorkerProcess:
    """A running worker and the app's end of its socket."""

    process: subprocess.Popen[bytes]
    connection: Connection

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid

    def is_alive(self) -> bool:
        """Whether the worker is still running."""
        return self.process.poll() is None

    def wait(self, timeout: float) -> int | None:
        """The exit status (negative: killed by that signal), or None if still running."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        """Kill the worker outright and reap it."""
        self.process.kill()
        self.process.wait()

    def stop(self, grace_s: float) -> None:
        """Wait for the worker to exit after its pipe closed; kill it if it will not."""
        if self.wait(grace_s) is None:
            self.kill()


#: The worker: a fresh interpreter that imports only the engine.
WORKER_COMMAND = [sys.executable, "-m", "nexthub.engine.worker"]


def start() -> WorkerProcess:
    """Start a worker; it serves commands until the app closes its end."""
    app_end, worker_end = socket.socketpair()
    try:
        env = {k: v for k, v in os.environ.items() if k not in _WITHHELD_ENV}
        if sys.platform == "win32":  # pragma: no cover - no Windows machine here yet
            process = _start_sharing(worker_end, env)
        else:
            env[FD_ENV] = str(worker_end.fileno())
            process = subprocess.Popen(
                WORKER_COMMAND, pass_fds=(worker_end.fileno(),), stdin=subprocess.DEVNULL, env=env
            )
    except OSError as exc:
        app_end.close()
        raise EngineError(f"The model worker could not be started: {exc}") from exc
    finally:
        worker_end.close()  # the worker holds its own copy; a dead worker then reads as EOF
    return WorkerProcess(process, Connection(app_end.detach()))


def connect_from_environment() -> Connection:
    """In the worker: the connection the app passed down (see the module docstring)."""
    if sys.platform == "win32":  # pragma: no cover - no Windows machine here yet
        if os.environ.pop(SHARED_ENV, ""):
            return Connection(socket.fromshare(sys.stdin.buffer.read()).detach())
    return Connection(int(os.environ.pop(FD_ENV)))


if sys.platform == "win32":  # pragma: no cover - no Windows machine here yet

    def _start_sharing(worker_end: socket.socket, env: dict[str, str]) -> subprocess.Popen[bytes]:
        """Start the worker and hand it ``worker_end`` through its stdin."""
        env[SHARED_ENV] = "1"
        process = subprocess.Popen(WORKER_COMMAND, stdin=subprocess.PIPE, env=env)
        assert process.stdin is not None
        with process.stdin:
            process.stdin.write(worker_end.share(process.pid))
        return process
