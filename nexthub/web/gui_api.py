"""The web GUI's JSON endpoints under /api/ that do not need the model.

The conversation list and search, one conversation, flipping between
versions of a message, a conversation's system prompt and sampling settings,
exporting it, and the installed models. Each goes through the service layer
(:class:`~nexthub.service.hub.Hub`, :class:`ChatSession`, ``data_export``),
the same calls the desktop app makes, on a thread (they block on the store).
The session cookie was checked before any of these run (``session_auth.py``).
"""

from __future__ import annotations

from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from nexthub.service.data_export import ExportFormat, export_chats
from nexthub.service.hub import Hub
from nexthub.web.errors import ApiError
from nexthub.web.gui_documents import (
    conversation_document,
    conversation_row,
    model_row,
    search_hit,
)
from nexthub.web.gui_requests import (
    CONVERSATION_PATH,
    GuiEndpoints,
    call_service,
    conversation_id_of,
    int_field,
    json_body,
    optional_text,
    sampling_over,
    text_field,
)

EXPORT_TYPES = {"md": "text/markdown; charset=utf-8", "json": "application/json"}


def read_conversation(hub: Hub, conversation_id: str) -> dict[str, Any]:
    """A conversation as the page shows it (blocking)."""
    conversation = hub.conversations.get(conversation_id)
    return conversation_document(conversation, hub.open_chat(conversation_id))


class WebGuiApi(GuiEndpoints):
    """The /api/ routes that read and arrange conversations (see the module docstring)."""

    def routes(self) -> list[Route]:
        """The endpoints, for the app."""
        base = CONVERSATION_PATH
        return [
            Route("/api/conversations", self.list_conversations, methods=["GET"]),
            Route(base, self.get_conversation, methods=["GET"]),
            Route(f"{base}/version", self.show_version, methods=["POST"]),
            Route(f"{base}/show", self.show_message, methods=["POST"]),
            Route(f"{base}/settings", self.configure, methods=["POST"]),
            Route(f"{base}/export", self.export, methods=["GET"]),
            Route("/api/models", self.list_models, methods=["GET"]),
        ]

    async def list_conversations(self, request: Request) -> Response:
        """GET /api/conversations[?q=words]: the list, or search hits when ``q`` is given."""
        query = request.query_params.get("q", "")
        if query.strip():
            hits = await call_service(self._hub.conversations.search, query)
            return JSONResponse({"hits": [search_hit(hit) for hit in hits]})
        rows = await call_service(self._hub.conversations.page)
        return JSONResponse({"conversations": [conversation_row(c) for c in rows]})

    async def get_conversation(self, request: Request) -> Response:
        """GET /api/conversations/{id}."""
        document = await call_service(read_conversation, self._hub, conversation_id_of(request))
        return JSONResponse(document)

    async def show_version(self, request: Request) -> Response:
        """POST …/version {index, version}: show another version of a message."""
        body = await json_body(request)
        index, version = int_field(body, "index", low=0), int_field(body, "version", low=1)
        conversation_id = conversation_id_of(request)

        def flip() -> dict[str, Any]:
            self._hub.open_chat(conversation_id).show_version(index, version)
            return read_conversation(self._hub, conversation_id)

        return JSONResponse(await call_service(flip))

    async def show_message(self, request: Request) -> Response:
        """POST …/show {message_id}: show the branch through a message (a search hit)."""
        message_id = text_field(await json_body(request), "message_id")
        conversation_id = conversation_id_of(request)

        def show() -> dict[str, Any]:
            self._hub.open_chat(conversation_id).show_message(message_id)
            return read_conversation(self._hub, conversation_id)

        return JSONResponse(await call_service(show))

    async def configure(self, request: Request) -> Response:
        """POST …/settings {system_prompt?, temperature?, top_p?, max_tokens?, seed?}."""
        body = await json_body(request)
        system_prompt = optional_text(body, "system_prompt")
        conversation_id = conversation_id_of(request)

        def save() -> dict[str, Any]:
            session = self._hub.open_chat(conversation_id)
            session.configure(
                sampling=sampling_over(session.sampling, body), system_prompt=system_prompt
            )
            return read_conversation(self._hub, conversation_id)

        return JSONResponse(await call_service(save))

    async def export(self, request: Request) -> Response:
        """GET …/export?format=md|json: the conversation as a file to save."""
        chosen = request.query_params.get("format", "md")
        if chosen not in EXPORT_TYPES:
            raise ApiError(400, "'format' must be 'md' or 'json'.", param="format")
        export_format: ExportFormat = "md" if chosen == "md" else "json"
        conversation_id = conversation_id_of(request)
        await call_service(self._hub.conversations.get, conversation_id)  # 404 if unknown
        export = await call_service(
            lambda: export_chats(
                self._hub.store,
                conversation_id=conversation_id,
                export_format=export_format,
                telemetry=self._hub.telemetry,
            )
        )
        # A fixed file name: a title is user text and does not belong in a header.
        name = f"nexthub-conversation.{chosen}"
        return Response(
            export.data,
            media_type=EXPORT_TYPES[chosen],
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    async def list_models(self, request: Request) -> Response:
        """GET /api/models: the installed models, the loaded one marked."""
        models = await anyio.to_thread.run_sync(self._runner.installed)
        loaded = self._hub.loaded_model
        rows = [model_row(m, loaded is not None and m.path == loaded.path) for m in models]
        return JSONResponse({"models": rows})
