"""Where the server listens, and how uvicorn runs it: shared by `nexthub serve` and the desktop app.

Loopback only unless a host is named: 127.0.0.1, and ::1 on the same port
where the machine has IPv6. Uvicorn's own access log is off (it writes query
strings and client addresses; access_log.py writes what may be kept), as
are its ``Server`` header, proxy headers and lifespan events.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import sys
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from nexthub.errors import NextHubError

DEFAULT_PORT = 8765
LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"
#: Seconds open streams get to finish when the server stops.
GRACEFUL_SHUTDOWN_S = 3


class PortUnavailableError(NextHubError):
    """The port cannot be listened on (in use, or not allowed); each face says how to change it."""


def listen(host: str | None, port: int) -> list[socket.socket]:
    """Listening sockets: loopback (IPv4, and IPv6 where there is one), or ``host``."""
    if host:
        try:
            family, _kind, _proto, _, address = socket.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
            )[0]
        except socket.gaierror as exc:
            raise NextHubError(f"Cannot listen on '{host}': {exc.strerror}.") from None
        return [_listen(family, address, host)]
    first = _listen(socket.AF_INET, (LOOPBACK_V4, port), LOOPBACK_V4)
    sockets = [first]
    if socket.has_ipv6:
        actual_port = first.getsockname()[1]
        with contextlib.suppress(OSError):  # no IPv6 loopback here: IPv4 is enough
            sockets.append(_listen(socket.AF_INET6, (LOOPBACK_V6, actual_port), LOOPBACK_V6))
    return sockets


def _listen(family: int, address: Any, shown: str) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        if sys.platform != "win32":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if family == socket.AF_INET6 and shown == LOOPBACK_V6:
            raise
        raise PortUnavailableError(
            f"Cannot listen on {shown} port {address[1]}: {exc.strerror} "
            "(another program may be using that port)."
        ) from None
    return sock


def is_wildcard(host: str) -> bool:
    """Whether ``host`` is 0.0.0.0 or :: (every interface)."""
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host).is_unspecified
    return False


def origin_of(sock: socket.socket) -> str:
    """``http://HOST:PORT`` of a listening socket (IPv6 hosts in brackets)."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def server_config(app: ASGIApp) -> uvicorn.Config:
    """Uvicorn's settings for NextHub's app (see the module docstring)."""
    return uvicorn.Config(
        app,
        access_log=False,
        server_header=False,
        proxy_headers=False,
        lifespan="off",
        log_level="info",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )
