"""Request bodies larger than the limit are refused with 413 (pure ASGI).

A declared ``Content-Length`` over the limit is refused before a byte is
read. Otherwise (a chunked body has no length) the body is read here, and
refused as soon as it passes the limit; the app then gets the body as one
message, and later ``receive`` calls (a disconnect) go to the server.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexthub.web.errors import send_error


class BodyLimitMiddleware:
    """Refuse bodies over ``max_bytes`` (see the module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), None)
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_error(send, 400, "The Content-Length header is not a number.")
                return
            if length > self._max:
                await self._too_large(send)
                return

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                await self._too_large(send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self._app(scope, replay, send)

    async def _too_large(self, send: Send) -> None:
        await send_error(
            send,
            413,
            f"The request body is larger than this server accepts ({self._max} bytes).",
            code="request_too_large",
        )
