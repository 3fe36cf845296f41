"""One usage-log row per API call that asks a model for something (pure ASGI).

It sits inside the key check, so every call it sees has a key; it records
the key's prefix, the endpoint, the model, the status, token counts and the
time until the last byte was sent. The handler fills in what only it knows
(the model, the token counts, an error sent inside a streamed 200) on the
:class:`UsageNote` it finds in the request's state. Nothing from the request
body or the answer is recorded. A failure to record is logged (its type only)
and changes nothing for the caller.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from nexthub.service.api_keys import ApiKeyInfo
from nexthub.service.api_usage import ApiCall, ApiUsage
from nexthub.web.response_status import StatusNotingSend

logger = logging.getLogger(__name__)

#: The endpoints that use a model: the calls worth counting.
LOGGED_PATHS = frozenset({"/v1/chat/completions", "/v1/completions", "/v1/embeddings"})


@dataclass
class UsageNote:
    """What the handler tells the usage log about its call."""

    model: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: The status of an error sent inside a stream whose HTTP status was already 200.
    error_status: int | None = None


def usage_note(request: Request) -> UsageNote:
    """The note for this call (a throwaway one when the call is not logged)."""
    note = request.scope.get("state", {}).get("usage")
    return note if isinstance(note, UsageNote) else UsageNote()


class UsageLogMiddleware:
    """Record each logged call in the Hub's :class:`ApiUsage` when its response is done."""

    def __init__(self, app: ASGIApp, usage: ApiUsage) -> None:
        self._app = app
        self._usage = usage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = scope.get("state", {}).get("api_key") if scope["type"] == "http" else None
        if not isinstance(key, ApiKeyInfo) or scope.get("path") not in LOGGED_PATHS:
            await self._app(scope, receive, send)
            return
        note = UsageNote()
        scope["state"]["usage"] = note
        at = datetime.now(UTC)
        started = time.monotonic()
        noting = StatusNotingSend(send)
        try:
            await self._app(scope, receive, noting)
        finally:
            call = ApiCall(
                at=at,
                key_prefix=key.prefix,
                endpoint=scope["path"],
                model=note.model,
                # No response at all: the client went away before one was sent.
                status=note.error_status or noting.status or 499,
                prompt_tokens=note.prompt_tokens,
                completion_tokens=note.completion_tokens,
                latency_ms=round((time.monotonic() - started) * 1000),
            )
            with anyio.CancelScope(shield=True):  # a cancelled request is still logged
                await self._record(call)

    async def _record(self, call: ApiCall) -> None:
        try:
            await anyio.to_thread.run_sync(self._usage.record, call)
        except Exception as exc:
            logger.warning("recording an API call's usage failed: %s", type(exc).__name__)
