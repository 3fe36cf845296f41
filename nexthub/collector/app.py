"""The collector's HTTP face: POST a report, GET the published totals.

No access log and no use of the client's address anywhere (the server runs
with ``access_log=False`` and without proxy headers; this code never reads
``request.client``). A body is refused before it is parsed when it is too
large, and answered 4xx when it is not a report of the registry's schema.
"""

from __future__ import annotations

import hashlib

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from nexthub.collector.totals import Totals
from nexthub.telemetry.registry import Registry, default_registry
from nexthub.telemetry.report import ReportError, decode

#: A full report is a few kilobytes; anything much larger is not one.
MAX_BODY = 64 * 1024
REPORTS_PATH = "/v1/reports"
TOTALS_PATH = "/v1/totals"


class _TooLargeError(Exception):
    """The body is over :data:`MAX_BODY`."""


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise _TooLargeError
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _TooLargeError
    return bytes(body)


def create_collector_app(totals: Totals, registry: Registry | None = None) -> Starlette:
    """The ASGI app over one :class:`Totals`."""
    schema = registry or default_registry()

    async def receive(request: Request) -> JSONResponse:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return JSONResponse({"error": "send application/json"}, status_code=415)
        try:
            body = await _read_body(request)
        except _TooLargeError:
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            report = decode(body, schema)
        except ReportError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        await run_in_threadpool(totals.fold, report)
        # The digest lets a sender check what arrived; the body itself is not kept.
        digest = hashlib.sha256(body).hexdigest()
        return JSONResponse({"accepted": True, "sha256": digest})

    async def published(request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(totals.published))

    return Starlette(
        routes=[
            Route(REPORTS_PATH, receive, methods=["POST"]),
            Route(TOTALS_PATH, published, methods=["GET"]),
        ]
    )
