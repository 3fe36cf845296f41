"""One log line per request: method, path without its query, status, seconds. Nothing else.

Uvicorn's own access log is turned off (it writes query strings and client
addresses); this one never sees a header, a body or a query string.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger("nexthub.web.access")


class AccessLogMiddleware:
    """Log each HTTP request's method, path, status and duration."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        started = time.monotonic()
        status = 0

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, send_noting_status)
        finally:
            logger.info(
                "%s %s %s %.3fs",
                scope["method"],
                scope.get("path", ""),
                status or "-",
                time.monotonic() - started,
            )
