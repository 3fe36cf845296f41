"""The web GUI's gate (pure ASGI): a login link opens a session, everything else needs it.

- ``GET /login?token=…`` spends a one-time token, sets the session cookie
  (HttpOnly: page scripts cannot read it; SameSite=Strict: no other site's
  request carries it; Path=/) and redirects to ``/``, so the token leaves the
  address bar and the history. A wrong or used token is 403.
- ``POST /logout`` ends the session and clears the cookie.
- Every other path but ``/v1`` (which takes API keys instead) needs a live
  session: without one, a page gets 401 and a line saying where the login
  link is, and ``/api/`` gets a 401 JSON error.

The Host and Origin checks run before this (``security.py``), so a state
changing request from another site is refused even before its cookie is
looked at.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from urllib.parse import parse_qs

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Receive, Scope, Send

from nexthub.web.errors import send_error
from nexthub.web.logins import SESSION_COOKIE, WebLogins

LOGIN_PATH = "/login"
#: Where a user finds a login link, in either face that runs the server.
WHERE_LINKS_ARE = (
    "open a one-time login link: `nexthub serve` prints one in its terminal, and the "
    "desktop app's Settings > Web GUI has Copy login link."
)
LOGOUT_PATH = "/logout"
API_PREFIX = "/api/"
#: The cookie's attributes: a session cookie (no Max-Age), for this whole origin.
COOKIE_ATTRIBUTES = "HttpOnly; SameSite=Strict; Path=/"


def session_cookie(value: str, *, clear: bool = False) -> bytes:
    """The Set-Cookie header value for the session (or one that deletes it)."""
    expiry = "; Max-Age=0" if clear else ""
    return f"{SESSION_COOKIE}={value}; {COOKIE_ATTRIBUTES}{expiry}".encode()


def _is_api_path(path: str) -> bool:
    return path == "/v1" or path.startswith("/v1/")


class SessionMiddleware:
    """Login by link, logout, and a session required for the web GUI (see the module)."""

    def __init__(
        self, app: ASGIApp, logins: WebLogins, on_login: Callable[[], None] | None = None
    ) -> None:
        """``on_login`` is told of each browser that logs in (the app counts it, nothing more)."""
        self._app = app
        self._logins = logins
        self._on_login = on_login

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or _is_api_path(path):
            await self._app(scope, receive, send)
            return
        method = scope["method"].upper()
        session = self._session_of(scope)
        if path == LOGIN_PATH and method == "GET":
            await self._log_in(scope, send)
        elif path == LOGOUT_PATH and method == "POST":
            if session:
                self._logins.log_out(session)
            await _respond(
                send, 303, [(b"location", b"/"), (b"set-cookie", session_cookie("", clear=True))]
            )
        elif not self._logins.is_session(session):
            if path.startswith(API_PREFIX):
                await send_error(
                    send,
                    401,
                    f"Not logged in: {WHERE_LINKS_ARE}",
                    code="not_logged_in",
                )
            else:
                await _page(
                    send,
                    401,
                    "Not logged in",
                    f"{WHERE_LINKS_ARE} Each link logs in one browser.",
                )
        else:
            await self._app(scope, receive, send)

    async def _log_in(self, scope: Scope, send: Send) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        tokens = query.get("token", [])
        session = self._logins.log_in(tokens[0]) if len(tokens) == 1 else None
        if session is None:
            await _page(
                send,
                403,
                "This login link does not work",
                "It was already used, or it is not one this server made. Use a new one: "
                "the newest that `nexthub serve` printed, or Copy login link in the "
                "desktop app's Settings.",
            )
            return
        if self._on_login is not None:
            self._on_login()
        # 303: the browser GETs / next, and the address bar no longer shows the token.
        await _respond(send, 303, [(b"location", b"/"), (b"set-cookie", session_cookie(session))])

    @staticmethod
    def _session_of(scope: Scope) -> str | None:
        for key, value in scope["headers"]:
            if key == b"cookie":
                found = cookie_parser(value.decode("latin-1")).get(SESSION_COOKIE)
                if found:
                    return found
        return None


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes = b""
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _page(send: Send, status: int, title: str, text: str) -> None:
    """A small page that says what happened (no script, no style: the CSP allows neither)."""
    body = (
        f"<!doctype html><html lang=en><meta charset=utf-8><title>NextHub: "
        f"{html.escape(title)}</title><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
    ).encode()
    await _respond(send, status, [(b"content-type", b"text/html; charset=utf-8")], body)
