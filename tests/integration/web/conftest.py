"""One real `nexthub serve` per test session: a real process on 127.0.0.1, the starter model.

The server gets its own NEXTHUB_HOME (a passphrase-protected store, unlocked
with NEXTHUB_PASSPHRASE, and the keyring's "fail" backend so no real keyring
is touched), an API key made with `nexthub keys create --quiet`, and port 0;
the address is read from the line it prints. Its stderr (the request log) is
kept in a file that tests may read.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

PASSPHRASE = "web server test passphrase"
STARTUP_TIMEOUT_S = 180


@dataclass(frozen=True)
class RunningServer:
    """A `nexthub serve` process the tests talk to."""

    base_url: str  # http://127.0.0.1:PORT/v1
    key: str
    home: Path
    log: Path
    #: The model the server said it serves, as its first line names it.
    announced_model: str = ""

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.base_url.removesuffix("/v1")

    def client(self, key: str | None = None, **headers: str) -> httpx.Client:
        """An httpx client for raw requests (the key as Bearer unless key="")."""
        used = self.key if key is None else key
        auth = {"Authorization": f"Bearer {used}"} if used else {}
        return httpx.Client(base_url=self.origin, headers={**auth, **headers}, timeout=120)


def server_env(home: Path) -> dict[str, str]:
    """The environment of a headless user of this home."""
    return {
        **os.environ,
        "NEXTHUB_HOME": str(home),
        "NEXTHUB_PASSPHRASE": PASSPHRASE,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "HF_HUB_OFFLINE": "1",
    }


def nexthub(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the `nexthub` command for this home."""
    return subprocess.run(
        [sys.executable, "-m", "nexthub", *args],
        capture_output=True,
        text=True,
        env=server_env(home),
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.append(process.stdout.readline() if process.stdout else ""),
        daemon=True,
    )
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else ""


def prepare_home(home: Path) -> None:
    """Settings for a quick server: 2 threads and no GPU (CI has two cores), a small context."""
    (home / "config").mkdir(mode=0o700)
    settings = {"threads": 2, "context_size": 2048, "gpu_layers": 0}
    (home / "config" / "settings.json").write_text(json.dumps(settings))


def start_serve(home: Path, log: Path) -> subprocess.Popen[str]:
    """`nexthub serve --port 0` for this home; stdout piped, stderr (the request log) to ``log``."""
    with log.open("w") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "nexthub", "serve", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=log_file,
            stdin=subprocess.DEVNULL,
            text=True,
            env=server_env(home),
        )


def stop_serve(process: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a user stops it; killed if it does not stop."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout:
        process.stdout.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The running server (see the module docstring)."""
    home = tmp_path_factory.mktemp("server-home")
    prepare_home(home)
    made = nexthub(home, "keys", "create", "tests", "--quiet")
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    log = home / "server.log"
    process = start_serve(home, log)
    try:
        line = _first_line(process, STARTUP_TIMEOUT_S)
        assert line.startswith("NextHub API at http://127.0.0.1:"), (line, log.read_text())
        base_url = line.split()[3]
        announced = line.rsplit("(model: ", 1)[-1].rstrip(")\n")
        yield RunningServer(base_url, key, home, log, announced)
    finally:
        stop_serve(process)
