"""One log line per request: method, path without its query, status, seconds. Nothing else.

Uvicorn's own access log is turned off (it writes query strings and client
addresses); this one never sees a header, a body or a query string.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Receive, Scope, Send

from nexthub.web.response_status import StatusNotingSend

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
        noting = StatusNotingSend(send)
        try:
            await self._app(scope, receive, noting)
        finally:
            logger.info(
                "%s %s %s %.3fs",
                scope["method"],
                scope.get("path", ""),
                noting.status or "-",
                time.monotonic() - started,
            )
