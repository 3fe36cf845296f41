"""A whole scripted session in a subprocess: what it connects to, and what telemetry counts.

The session (start, load the starter model, chat, search, export, the server
on 127.0.0.1 with one API call, quit) runs in a fresh interpreter whose
``sitecustomize`` installs ``sys.addaudithook`` before anything else, in the
app process and in the engine's worker alike, recording every
``socket.connect`` and ``socket.getaddrinfo``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent / "session"
ROOT = Path(__file__).parents[3]


def run_session(home: Path, *, telemetry_on: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Run the session; the addresses it reached for, and the next telemetry report."""
    audit, report = home.parent / "audit.jsonl", home.parent / "report.json"
    env = {
        **os.environ,
        "NEXTHUB_HOME": str(home),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT)]),
        "NEXTHUB_AUDIT_FILE": str(audit),
        "NEXTHUB_REPORT_FILE": str(report),
        "NEXTHUB_TELEMETRY": "on" if telemetry_on else "off",
    }
    env.pop("DO_NOT_TRACK", None)
    subprocess.run(
        [sys.executable, str(HERE / "scripted_session.py")], env=env, check=True, timeout=300
    )
    lines = audit.read_text().splitlines() if audit.exists() else []
    return [json.loads(line) for line in lines], json.loads(report.read_bytes())


def is_loopback_or_local(entry: dict[str, Any]) -> bool:
    """An AF_UNIX path, or a loopback address or name."""
    if entry["family"] == socket.AF_UNIX:
        return True
    address = entry["address"]
    host = address[0] if isinstance(address, list) else address
    if host in (None, "localhost"):
        return True
    try:
        return ipaddress.ip_address(str(host)).is_loopback
    except ValueError:
        return False


def test_with_telemetry_off_a_whole_session_connects_to_nothing_but_loopback(
    nexthub_home: Path,
) -> None:
    reached, report = run_session(nexthub_home, telemetry_on=False)

    assert any(e["event"] == "socket.connect" for e in reached)  # the hook saw the API call
    assert [e for e in reached if not is_loopback_or_local(e)] == []
    assert set(report["counters"].values()) == {0}  # the preview: nothing was counted
    assert not (nexthub_home / "data" / "telemetry").exists()


def test_with_telemetry_on_the_session_s_counts_are_in_the_next_report(
    nexthub_home: Path,
) -> None:
    reached, report = run_session(nexthub_home, telemetry_on=True)

    counters = report["counters"]
    for feature in ("feature.chat", "feature.search", "feature.export", "feature.api_request"):
        assert counters.get(feature) == 1, feature
    loaded = report["labelled"]["model.loaded"]
    assert loaded["smollm2"] == 1 and loaded["custom"] == 0  # the starter, by catalog family
    assert sum(report["histograms"]["perf.model_load_s"]) == 1
    assert sum(report["histograms"]["perf.decode_tokens_per_s"]) == 1
    assert sum(report["histograms"]["perf.first_token_ms"]) == 1
    # Nothing is due to be sent in the week it was counted: still nothing but loopback.
    assert [e for e in reached if not is_loopback_or_local(e)] == []
