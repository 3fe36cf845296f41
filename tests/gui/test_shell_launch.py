"""`nexthub` with no arguments opens the desktop app; the sub-commands never load Qt.

The app runs as a real process on the offscreen platform, with a store made
beforehand and its passphrase in NEXTHUB_PASSPHRASE (so no dialog waits for
an answer). It says "main window shown" in its --debug log; the test then
sends SIGTERM, as a desktop session does at logout, and expects a clean exit.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

from nexthub.paths import AppPaths
from tests.gui.shell_helpers import PASSPHRASE, make_passphrase_store

ROOT = Path(__file__).resolve().parents[2]
#: Seconds the app may take to show its window on this slow, shared machine.
START_S = 90


def environment(**changes: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DISPLAY", "WAYLAND_DISPLAY"}}
    env.update(changes)
    return env


def wait_for_line(process: subprocess.Popen[str], wanted: str, seconds: float) -> list[str]:
    """Read the process's stderr until a line contains ``wanted``; all lines read."""
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.5):
                if process.poll() is not None:
                    break
                continue
            line = process.stderr.readline()
            if not line:
                break
            seen.append(line.rstrip("\n"))
            if wanted in line:
                return seen
    raise AssertionError(f"no {wanted!r} within {seconds} s; the app said:\n" + "\n".join(seen))


def test_nexthub_without_arguments_opens_the_window_and_quits_on_sigterm(
    nexthub_home: Path,
) -> None:
    make_passphrase_store(AppPaths.from_environment())
    env = environment(QT_QPA_PLATFORM="offscreen", NEXTHUB_PASSPHRASE=PASSPHRASE)
    process = subprocess.Popen(
        [sys.executable, "-m", "nexthub", "--debug"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(process, "main window shown", START_S)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def test_without_a_display_it_says_so_and_points_to_the_terminal() -> None:
    env = environment()
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        [sys.executable, "-m", "nexthub"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "no graphical display was found" in result.stderr
    assert "nexthub chat" in result.stderr


def packages_loaded_by(statement: str, watched: set[str]) -> list[str]:
    """Which ``watched`` top-level packages a fresh interpreter loaded to run ``statement``."""
    code = f"import json, sys; {statement}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = {name.split(".")[0] for name in json.loads(result.stdout)}
    return sorted(loaded & watched)


def test_the_command_line_does_not_load_qt() -> None:
    statement = "import nexthub.cli.main as m; m.build_parser()"
    assert packages_loaded_by(statement, {"PySide6", "shiboken6"}) == []


def test_the_desktop_app_does_not_load_the_server_stack() -> None:
    """Starting the window must not wait for the web server's imports (cold start)."""
    statement = "import nexthub.cli.main, nexthub.gui.app"
    assert packages_loaded_by(statement, {"starlette", "uvicorn", "anyio"}) == []
