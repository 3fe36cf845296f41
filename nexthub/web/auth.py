"""``Authorization: Bearer <key>`` on every ``/v1/`` request (pure ASGI).

Keys are checked by :class:`~nexthub.service.api_keys.ApiKeys`, which reads
the key file again when it changes: a key revoked from the command line is
refused on the next request. The key's record goes into the request scope
(``scope["state"]["api_key"]``) for the handlers.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from nexthub.service.api_keys import ApiKeys
from nexthub.web.errors import send_error

PROTECTED_PREFIX = "/v1/"


class BearerAuthMiddleware:
    """Refuse /v1/ requests without a current API key (401)."""

    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self._app = app
        self._keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/v1" or path.startswith(PROTECTED_PREFIX)):
            await self._app(scope, receive, send)
            return
        header = next((v for k, v in scope["headers"] if k == b"authorization"), b"")
        scheme, _, token = header.decode("latin-1").strip().partition(" ")
        token = token.strip()
        info = self._keys.verify(token) if scheme.lower() == "bearer" and token else None
        if info is None:
            message = (
                "No API key: send `Authorization: Bearer <key>` (make a key with "
                "`nexthub keys create NAME`)."
                if not header
                else "The API key is not valid (wrong, or revoked)."
            )
            await send_error(
                send,
                401,
                message,
                code="invalid_api_key",
                headers=[(b"www-authenticate", b'Bearer realm="nexthub"')],
            )
            return
        scope.setdefault("state", {})["api_key"] = info
        await self._app(scope, receive, send)
