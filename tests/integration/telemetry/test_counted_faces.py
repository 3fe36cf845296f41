"""What the command line and `nexthub serve` count, as `nexthub telemetry show` reports it.

Real processes in a home of their own: the user turns telemetry on with the
CLI, exports chats, runs the server and logs a browser into its web GUI with
the printed link, then stops it with Ctrl-C. The next report holds those
counts, and nothing is kept when telemetry is off.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.web.conftest import (
    STARTUP_TIMEOUT_S,
    _first_line,
    nexthub,
    prepare_home,
    start_serve,
    stop_serve,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    folder = tmp_path / "home"
    folder.mkdir()
    prepare_home(folder)
    return folder


def next_report(home: Path) -> dict[str, Any]:
    shown = nexthub(home, "telemetry", "show")
    assert shown.returncode == 0, shown.stderr
    report: dict[str, Any] = json.loads(shown.stdout)
    return report


def test_an_export_from_the_command_line_is_counted_only_once_telemetry_is_on(
    home: Path, tmp_path: Path
) -> None:
    assert nexthub(home, "data", "export", "-o", str(tmp_path / "a.json")).returncode == 0
    assert not (home / "data" / "telemetry").exists()  # off: nothing kept

    assert nexthub(home, "telemetry", "on").returncode == 0
    assert nexthub(home, "data", "export", "-o", str(tmp_path / "b.json")).returncode == 0
    assert next_report(home)["counters"]["feature.export"] == 1


def test_the_server_counts_its_session_and_each_browser_that_logs_in(home: Path) -> None:
    assert nexthub(home, "telemetry", "on").returncode == 0
    process = start_serve(home, home / "server.log")
    try:
        assert _first_line(process, STARTUP_TIMEOUT_S).startswith("NextHub API at ")
        web_line = next(
            line for line in iter(lambda: _first_line(process, 30), "") if "link:" in line
        )
        link = web_line[web_line.index("http://", web_line.index("link:")) :].strip()
        assert httpx.get(link, timeout=30).status_code == 303
    finally:
        stop_serve(process)
    assert process.returncode in (0, 130)  # 130: stopped by Ctrl-C, as a terminal shows it

    report = next_report(home)
    assert report["counters"]["feature.web_gui"] == 1
    assert report["labelled"]["app.started"]["server"] == 1
    ended = report["labelled"]["session.ended"]
    assert (ended["clean"], ended["crashed"]) == (1, 0)
