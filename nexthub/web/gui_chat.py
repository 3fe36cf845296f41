"""The web GUI's answers: send, regenerate and edit, streamed as JSON lines.

Each goes through a :class:`ChatSession` (the desktop app's code path: the
prompt is saved before the model sees it, the answer as it grows) and waits
its turn in the server's one fair :class:`ModelRunner` queue, beside /v1
requests. The response is ``application/x-ndjson``, one JSON object a line,
which the page reads with ``fetch`` as it arrives:

- ``{"type": "queue", "position": N}`` while waiting;
- ``{"type": "started", "conversation_id": …}`` once the prompt is saved;
- ``{"type": "delta", "text": …}`` for the answer's text (shown as plain
  text while it streams; the page never parses it as HTML);
- ``{"type": "done", "finish_reason", "error", "conversation"}`` at the end,
  with the conversation as saved, its messages rendered as safe HTML.

Stop is the page closing the request: the disconnect cancels the generation
(``thread_bridge.py``) and the answer is saved as cancelled with the text it
reached.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from nexthub.engine import ChatEvent, ChatFinished, Engine, SamplingSettings, TextDelta
from nexthub.errors import NextHubError
from nexthub.models import InstalledModel
from nexthub.service.chat_session import ChatSession
from nexthub.web.errors import ApiError
from nexthub.web.gui_api import read_conversation
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
from nexthub.web.model_runner import QueuePosition

#: Starts the answer on a session (called on the generation's thread, in the queue's turn).
Start = Callable[[ChatSession], Iterator[ChatEvent]]


def _line(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode() + b"\n"


class WebChat(GuiEndpoints):
    """The answering routes of the web GUI (see the module docstring)."""

    def routes(self) -> list[Route]:
        """The endpoints, for the app."""
        base = CONVERSATION_PATH
        return [
            Route("/api/chat", self.send, methods=["POST"]),
            Route(f"{base}/regenerate", self.regenerate, methods=["POST"]),
            Route(f"{base}/edit", self.edit, methods=["POST"]),
        ]

    async def send(self, request: Request) -> Response:
        """POST /api/chat {text, model, conversation_id?, settings?}.

        Without ``conversation_id`` a new conversation starts, with the
        ``settings`` chosen for it (system prompt and sampling).
        """
        body = await json_body(request)
        text = text_field(body, "text")
        conversation_id = optional_text(body, "conversation_id") or None
        model = await self._model(body)
        sampling: SamplingSettings | None = None
        system_prompt: str | None = None
        if conversation_id is None:
            settings = body.get("settings") or {}
            if not isinstance(settings, dict):
                raise ApiError(400, "'settings' must be an object.", param="settings")
            sampling = sampling_over(SamplingSettings(), settings)
            system_prompt = optional_text(settings, "system_prompt")
        else:
            await call_service(self._hub.conversations.get, conversation_id)  # 404 if unknown

        def start(session: ChatSession) -> Iterator[ChatEvent]:
            if conversation_id is None:
                session.configure(sampling=sampling, system_prompt=system_prompt)
            return session.send(text)

        return self._stream(model, conversation_id, start)

    async def regenerate(self, request: Request) -> Response:
        """POST …/regenerate {model}: answer the last prompt again (a new version)."""
        body = await json_body(request)
        conversation_id = conversation_id_of(request)
        model = await self._model(body)
        await call_service(self._hub.conversations.get, conversation_id)
        return self._stream(model, conversation_id, lambda session: session.regenerate())

    async def edit(self, request: Request) -> Response:
        """POST …/edit {index, text, model}: a new version of a prompt, answered."""
        body = await json_body(request)
        conversation_id = conversation_id_of(request)
        index, text = int_field(body, "index", low=0), text_field(body, "text")
        model = await self._model(body)
        await call_service(self._hub.conversations.get, conversation_id)
        return self._stream(model, conversation_id, lambda session: session.edit(index, text))

    async def _model(self, body: dict[str, Any]) -> InstalledModel:
        """The model the request names, else the one loaded."""
        named = optional_text(body, "model")
        if named:
            return await call_service(self._runner.resolve, named)
        loaded = self._hub.loaded_model
        for model in await call_service(self._runner.installed):
            if loaded is not None and model.path == loaded.path:
                return model
        raise ApiError(400, "No model is loaded: choose one.", param="model")

    def _stream(
        self, model: InstalledModel, conversation_id: str | None, start: Start
    ) -> StreamingResponse:
        sessions: list[ChatSession] = []

        def generate(engine: Engine) -> Iterator[ChatEvent]:
            session = self._hub.open_chat(conversation_id)
            sessions.append(session)
            return start(session)

        async def lines() -> AsyncIterator[bytes]:
            finished: ChatFinished | None = None
            error: str | None = None
            announced = False
            events = self._runner.run(model, generate)
            async with contextlib.aclosing(events):
                try:
                    async for event in events:
                        if isinstance(event, QueuePosition):
                            yield _line({"type": "queue", "position": event.position})
                            continue
                        if sessions and not announced:
                            announced = True
                            started = sessions[0].conversation_id
                            yield _line({"type": "started", "conversation_id": started})
                        if isinstance(event, TextDelta) and event.text:
                            yield _line({"type": "delta", "text": event.text})
                        elif isinstance(event, ChatFinished):
                            finished = event
                except (NextHubError, ValueError) as exc:
                    error = str(exc)
            if finished is not None and finished.finish_reason == "error":
                error = finished.error or "The model failed to answer."
            saved_id = sessions[0].conversation_id if sessions else conversation_id
            document = (
                await call_service(read_conversation, self._hub, saved_id) if saved_id else None
            )
            yield _line(
                {
                    "type": "done",
                    "finish_reason": finished.finish_reason if finished else "error",
                    "error": error,
                    "conversation": document,
                }
            )

        return StreamingResponse(
            lines(), media_type="application/x-ndjson", headers={"x-accel-buffering": "no"}
        )
