"""``nexthub serve``: the OpenAI-compatible API and the web GUI on this machine only.

Unlocks the chat store as the other commands do, loads the default model and
serves on 127.0.0.1 and ::1 until Ctrl-C. Every /v1 request needs an API key
(``nexthub keys create NAME``). The web GUI is at ``/``: open the one-time
login link printed at start (a new one is printed each time one is used).
``--host`` listens on another interface instead: other machines can then
reach the API (keys are still required, and the traffic is plain HTTP). The
log has one line per request, with its method, path, status and duration:
never a query string, a header or any content.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import socket
import sys
from pathlib import Path
from typing import Any

import uvicorn

from nexthub.cli.progress import ProgressLine
from nexthub.cli.unlock import open_store_for_cli
from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.api_keys import ApiKeys
from nexthub.service.hub import Hub
from nexthub.service.telemetry_access import start_reporting
from nexthub.web import ServerSettings, WebLogins, create_app
from nexthub.web.listening import (
    DEFAULT_PORT,
    PortUnavailableError,
    is_wildcard,
    listen,
    origin_of,
    server_config,
)


def register(commands: Any) -> None:
    """Add the ``serve`` sub-command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="serve the OpenAI-compatible API and the web GUI on localhost",
        description=__doc__,
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any)"
    )
    parser.add_argument(
        "--host",
        help="listen on this address instead of loopback (other machines can then connect)",
    )
    parser.add_argument("--model", "-m", help="model to load first (default: the default model)")
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="a web site (scheme://host:port) allowed to call the API from a browser",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Unlock, load, bind, serve."""
    if not 0 <= args.port <= 65535:
        raise NextHubError("--port must be between 0 and 65535.")
    try:
        settings = ServerSettings(
            allowed_origins=tuple(args.allow_origin),
            extra_hosts=(args.host,) if args.host and not is_wildcard(args.host) else (),
        )
    except ValueError as exc:
        raise NextHubError(f"Bad server setting: {exc}.") from None
    paths = AppPaths.from_environment()
    store = open_store_for_cli(paths, create_if_missing=True)
    hub = Hub(paths, store)
    hub.telemetry.count("app.started", "server")
    reporting = start_reporting(hub.telemetry)  # writes counts, sends when due; never blocks
    ended = "clean"
    try:
        progress = ProgressLine(f"Loading {args.model or 'the default model'}")
        loaded = hub.load_model(args.model, progress.update)
        progress.done()
        try:
            sockets = listen(args.host, args.port)
        except PortUnavailableError as exc:
            raise NextHubError(f"{exc} Choose another with --port.") from None
        try:
            _announce(sockets, _api_id(hub, loaded.path, loaded.name), args.host, paths)
            logins = _web_logins(origin_of(sockets[0]))
            _configure_logging()
            config = server_config(create_app(hub, settings, logins=logins))
            uvicorn.Server(config).run(sockets=sockets)
        finally:
            for sock in sockets:
                sock.close()
    except NextHubError:
        raise  # said to the user: the session still ended as it should
    except Exception:
        ended = "crashed"
        raise
    finally:
        hub.telemetry.count("session.ended", ended)
        if reporting is not None:
            reporting.stop()
        hub.close()
    return 0


def _api_id(hub: Hub, path: Path, fallback: str) -> str:
    """The id clients send as ``model`` for the model at ``path`` (its registry id)."""
    installed = hub.models.registry.at(path)
    return fallback if installed is None else installed.id


def _url(sock: socket.socket) -> str:
    return f"{origin_of(sock)}/v1"


def _web_logins(origin: str) -> WebLogins:
    """The web GUI's logins; prints the first one-time link, and a new one after each use."""

    def announce(token: str) -> None:
        print(
            f"Web GUI login link used. For another browser, one more: {origin}/login?token={token}",
            flush=True,
        )

    logins = WebLogins(on_new_link=announce)
    print(
        f"Web GUI at {origin}/ - log in once with this link: {origin}/login?token="
        f"{logins.new_token()}",
        flush=True,
    )
    return logins


def _announce(sockets: list[socket.socket], model: str, host: str | None, paths: AppPaths) -> None:
    if host and not all(ipaddress.ip_address(s.getsockname()[0]).is_loopback for s in sockets):
        print(
            f"Warning: listening on {host}: other machines can reach this API. Every request "
            "still needs an API key, but the traffic is plain HTTP, readable on the network.",
            file=sys.stderr,
        )
    if not ApiKeys(paths.api_keys_file).list():
        print(
            "No API keys yet: every /v1 request will be refused. Make one with "
            "`nexthub keys create NAME`.",
            file=sys.stderr,
        )
    print(f"NextHub API at {_url(sockets[0])} (model: {model})", flush=True)
    for sock in sockets[1:]:
        print(f"Also at {_url(sock)}", flush=True)
    print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)


def _configure_logging() -> None:
    """One line per request on stderr (see :mod:`nexthub.web.access_log`)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    web = logging.getLogger("nexthub.web")
    web.setLevel(logging.INFO)
    web.addHandler(handler)
    web.propagate = False
