"""The checks every request passes before the app sees it (pure ASGI, so streams too).

- **Host** must be a loopback name or address (any port), or a host the user
  allowed explicitly: a web page that rebinds its own DNS name to 127.0.0.1
  still sends its own name, and is refused (403).
- **Origin**: a state-changing request (POST, PUT, PATCH, DELETE) from a
  browser must come from this server's own origin or an allowlisted one, else
  403: another site cannot make a visitor's browser use the API.
- **CORS**: only allowlisted origins get CORS headers (never ``*``); a
  preflight from any other origin is refused.
- **Headers** on every response: a strict Content-Security-Policy, nosniff,
  no referrer, no framing, no caching. The API's responses may load and run
  nothing; the web GUI's may load scripts, styles and images from this origin
  only (no inline script or style, no other site), and talk only to it.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexthub.web.config import ServerSettings
from nexthub.web.errors import send_error

STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOOPBACK_NAMES = frozenset({"localhost", "localhost."})

#: Nothing may load or run: the API serves JSON only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
#: The web GUI: its own script, style sheet and images, its own API; nothing inline, no other site.
PAGE_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
COMMON_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
]
SECURITY_HEADERS = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), *COMMON_HEADERS]
PAGE_HEADERS = [
    (b"content-security-policy", PAGE_CONTENT_SECURITY_POLICY.encode()),
    *COMMON_HEADERS,
]
CORS_ALLOW_HEADERS = b"authorization, content-type"
CORS_ALLOW_METHODS = b"GET, POST, OPTIONS"


def split_host(host: str) -> tuple[str, int | None]:
    """``"[::1]:8000"`` -> ``("::1", 8000)``; ``"localhost"`` -> ``("localhost", None)``."""
    host = host.strip().lower()
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else ""
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    if port and not port.isdigit():
        raise ValueError(f"bad port in Host {host!r}")
    return name, int(port) if port else None


def is_loopback(name: str) -> bool:
    """Whether a host name or address always means this machine."""
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def _origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of an Origin header, lower-cased; None if it is not a URL."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


class SecurityMiddleware:
    """Host, Origin and CORS checks and security headers (see the module docstring)."""

    def __init__(self, app: ASGIApp, settings: ServerSettings) -> None:
        self._app = app
        self._allowed_origins = frozenset(o for o in map(_origin_of, settings.allowed_origins) if o)
        self._extra_hosts = frozenset(h.lower() for h in settings.extra_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._app(scope, receive, send)
            return  # websockets: none are served

        host = _header(scope, b"host")
        if host is None or not self._host_allowed(host):
            await send_error(
                send,
                403,
                "Refused: the Host header is not this machine (NextHub answers only "
                "requests addressed to localhost).",
                code="host_not_allowed",
                headers=SECURITY_HEADERS,
            )
            return

        origin_header = _header(scope, b"origin")
        origin = _origin_of(origin_header) if origin_header is not None else None
        allowlisted = origin is not None and origin in self._allowed_origins
        same_origin = origin is not None and origin == f"http://{host.strip().lower()}"
        cors = (
            [(b"access-control-allow-origin", origin.encode()), (b"vary", b"origin")]
            if (allowlisted and origin)
            else []
        )

        method = scope["method"].upper()
        if method == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(send, cors)
            return
        if (
            method in STATE_CHANGING
            and origin_header is not None
            and not (same_origin or allowlisted)
        ):
            await send_error(
                send,
                403,
                "Refused: a request from another web site (its Origin is not allowed). "
                "Add the site to the server's allowed origins if it should use the API.",
                code="origin_not_allowed",
                headers=SECURITY_HEADERS,
            )
            return

        path = scope.get("path", "")
        api = path == "/v1" or path.startswith("/v1/")
        headers = SECURITY_HEADERS if api else PAGE_HEADERS

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], *headers, *cors]}
            await send(message)

        await self._app(scope, receive, send_with_headers)

    def _host_allowed(self, host: str) -> bool:
        try:
            name, _port = split_host(host)
        except ValueError:
            return False
        return is_loopback(name) or name in self._extra_hosts

    async def _preflight(self, send: Send, cors: list[tuple[bytes, bytes]]) -> None:
        if not cors:
            await send_error(
                send,
                403,
                "Refused: this origin may not call the API from a browser.",
                code="origin_not_allowed",
                headers=SECURITY_HEADERS,
            )
            return
        headers = [
            *SECURITY_HEADERS,
            *cors,
            (b"access-control-allow-methods", CORS_ALLOW_METHODS),
            (b"access-control-allow-headers", CORS_ALLOW_HEADERS),
            (b"access-control-max-age", b"600"),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
