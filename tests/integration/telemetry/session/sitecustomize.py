"""Imported at start-up by every Python process of the scripted session (PYTHONPATH).

Records each address a socket connects to, or a name is looked up for, into
the file named by ``NEXTHUB_AUDIT_FILE`` (one JSON line each), before any of
NextHub is imported; the engine's worker, spawned, inherits the environment
and records into the same file.
"""

import json
import os
import socket
import sys
from pathlib import Path

_FILE = os.environ.get("NEXTHUB_AUDIT_FILE")


def _record(event: str, args: tuple) -> None:  # type: ignore[type-arg]
    if event == "socket.connect":
        sock, address = args
        entry = {"event": event, "family": int(sock.family), "address": _plain(address)}
    elif event == "socket.getaddrinfo":
        entry = {"event": event, "family": int(socket.AF_INET), "address": _plain(args[0])}
    else:
        return
    with Path(str(_FILE)).open("a", encoding="utf-8") as out:
        out.write(json.dumps(entry) + "\n")


def _plain(value: object) -> object:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return [_plain(part) for part in value]
    return value if isinstance(value, str | int | None) else repr(value)


if _FILE:
    sys.addaudithook(_record)
