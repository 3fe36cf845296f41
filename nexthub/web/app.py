"""The localhost server's ASGI app: the /v1 API and the web GUI behind their security layers.

From the outside in: one access-log line per request (no content); Host,
Origin, CORS and security headers; the body size limit; the web GUI's login
and session cookie (everything but /v1); the API key on /v1.
Every error, from a middleware or a handler, is an OpenAI-style JSON error.
The app holds no global state: everything comes from the :class:`Hub` and
the :class:`ServerSettings` passed in.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp

from nexthub.service.api_keys import ApiKeys
from nexthub.service.hub import Hub
from nexthub.web.access_log import AccessLogMiddleware
from nexthub.web.auth import BearerAuthMiddleware
from nexthub.web.body_limit import BodyLimitMiddleware
from nexthub.web.config import ServerSettings
from nexthub.web.errors import ApiError, error_body
from nexthub.web.gui_api import WebGuiApi
from nexthub.web.gui_chat import WebChat
from nexthub.web.gui_pages import GuiPages
from nexthub.web.logins import WebLogins
from nexthub.web.model_runner import ModelRunner
from nexthub.web.openai_api import OpenAiApi
from nexthub.web.security import SecurityMiddleware
from nexthub.web.session_auth import SessionMiddleware
from nexthub.web.usage_log import UsageLogMiddleware

logger = logging.getLogger(__name__)


def create_app(
    hub: Hub,
    settings: ServerSettings | None = None,
    keys: ApiKeys | None = None,
    logins: WebLogins | None = None,
) -> ASGIApp:
    """The server's ASGI app over ``hub``.

    ``keys``: the installation's API key file; ``logins``: the web GUI's
    login tokens and sessions (``nexthub serve`` makes the first link).
    """
    settings = settings or ServerSettings()
    keys = keys or ApiKeys(hub.paths.api_keys_file)
    logins = logins or WebLogins()
    runner = ModelRunner(hub, report_interval_s=settings.queue_report_interval_s)
    routes = [
        *OpenAiApi(runner).routes(),
        *GuiPages().routes(),
        *WebGuiApi(hub, runner).routes(),
        *WebChat(hub, runner).routes(),
    ]
    api = Starlette(
        routes=routes,
        exception_handlers={
            ApiError: _api_error,
            HTTPException: _http_error,
            Exception: _internal_error,
        },
    )
    app: ASGIApp = BearerAuthMiddleware(UsageLogMiddleware(api, hub.api_usage), keys)
    app = SessionMiddleware(app, logins, on_login=lambda: hub.telemetry.count("feature.web_gui"))
    app = BodyLimitMiddleware(app, settings.max_body_bytes)
    app = SecurityMiddleware(app, settings)
    return AccessLogMiddleware(app)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse(exc.body(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = {404: "There is no such endpoint.", 405: "This endpoint does not take that method."}
    body = error_body(exc.status_code, message.get(exc.status_code, str(exc.detail)))
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


async def _internal_error(request: Request, exc: Exception) -> Response:
    logger.error(
        "internal error in %s %s: %s", request.method, request.url.path, type(exc).__name__
    )
    return JSONResponse(error_body(500, "Internal error (a bug in NextHub)."), status_code=500)
