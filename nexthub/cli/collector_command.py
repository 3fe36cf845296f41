"""``nexthub collector``: receive telemetry reports and publish their totals.

The receiving side of ``nexthub telemetry`` (see docs/TELEMETRY.md): POST
``/v1/reports`` takes one report (checked against the registry; anything
else gets a 4xx) and folds it into ``totals.json`` in ``--data``; GET
``/v1/totals`` shows the totals, leaving out cells fewer than
``--min-reporters`` reports contributed to. No report and no sender address
is ever stored or logged. It serves plain HTTP on 127.0.0.1: put a TLS
proxy that keeps no access log in front of it to receive from the internet.
"""

from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from nexthub.errors import NextHubError
from nexthub.paths import AppPaths

DEFAULT_PORT = 8790
DEFAULT_HOST = "127.0.0.1"


def register(commands: Any) -> None:
    """Add the ``collector`` sub-command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "collector", help="receive telemetry reports and publish totals", description=__doc__
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address (default {DEFAULT_HOST})")
    parser.add_argument(
        "--data", type=Path, help="folder for totals.json (default: NextHub's data folder)"
    )
    parser.add_argument(
        "--min-reporters",
        type=int,
        default=5,
        help="publish a cell only when this many reports contributed to it (default 5)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Bind, announce the port (not the address), serve until Ctrl-C."""
    from nexthub.collector import Totals, create_collector_app

    if not 0 <= args.port <= 65535:
        raise NextHubError("--port must be between 0 and 65535.")
    if args.min_reporters < 1:
        raise NextHubError("--min-reporters must be at least 1.")
    folder = args.data or AppPaths.from_environment().data / "collector"
    totals = Totals(folder / "totals.json", args.min_reporters)
    try:
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
        sock.listen(128)
    except OSError as exc:
        raise NextHubError(f"Cannot listen on port {args.port}: {exc.strerror}.") from None
    with sock:
        print(f"NextHub collector on port {sock.getsockname()[1]}", flush=True)
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)
        config = uvicorn.Config(
            create_collector_app(totals),
            access_log=False,  # it would record every sender's address
            proxy_headers=False,
            server_header=False,
            lifespan="off",
            log_level="warning",
        )
        uvicorn.Server(config).run(sockets=[sock])
    return 0
