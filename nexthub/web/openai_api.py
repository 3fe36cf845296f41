"""The OpenAI-compatible endpoints under /v1: models, chat completions, completions, embeddings.

Each handler checks its request completely before it answers (a bad
parameter is a 400, an unknown model a 404, with the real status code even
for a stream), then waits its turn for the model. A streamed answer is sent
as server-sent events: queue positions as comment lines while it waits, then
OpenAI's chunks, then ``[DONE]``. A client that disconnects, streaming or
not, cancels its generation.
"""

from __future__ import annotations

import contextlib
import importlib.resources
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from nexthub.engine import (
    ChatFinished,
    ContextOverflowError,
    Embeddings,
    Engine,
    GrammarError,
    TextDelta,
)
from nexthub.errors import NextHubError
from nexthub.models import InstalledModel
from nexthub.web.errors import ApiError
from nexthub.web.model_runner import Generate, ModelRunner, QueuePosition
from nexthub.web.openai_requests import (
    ChatRequest,
    CompletionRequest,
    StreamOptions,
    parse_chat,
    parse_completion,
    parse_embeddings,
    parse_json,
)
from nexthub.web.openai_responses import (
    SSE_DONE,
    Completion,
    embeddings_document,
    sse_comment,
    sse_data,
)
from nexthub.web.usage_log import UsageNote, usage_note

T = TypeVar("T")

#: The OpenAPI document of these endpoints, shipped beside this module.
OPENAPI_DOCUMENT = importlib.resources.files("nexthub.web") / "openapi.json"


class OpenAiApi:
    """The /v1 routes over one :class:`ModelRunner`."""

    def __init__(self, runner: ModelRunner) -> None:
        self._runner = runner

    def routes(self) -> list[Route]:
        """The endpoints, for the app."""
        return [
            Route("/v1/openapi.json", self.openapi_document, methods=["GET"]),
            Route("/v1/models", self.list_models, methods=["GET"]),
            Route("/v1/models/{model_id:path}", self.get_model, methods=["GET"]),
            Route("/v1/chat/completions", self.chat_completions, methods=["POST"]),
            Route("/v1/completions", self.completions, methods=["POST"]),
            Route("/v1/embeddings", self.embeddings, methods=["POST"]),
        ]

    # -- endpoints --------------------------------------------------------------------------

    async def openapi_document(self, request: Request) -> Response:
        """GET /v1/openapi.json: this API described (what the fuzzing tests read, too)."""
        return Response(OPENAPI_DOCUMENT.read_bytes(), media_type="application/json")

    async def list_models(self, request: Request) -> Response:
        """GET /v1/models: the installed models."""
        models = await anyio.to_thread.run_sync(self._runner.installed)
        return JSONResponse({"object": "list", "data": [_model_document(m) for m in models]})

    async def get_model(self, request: Request) -> Response:
        """GET /v1/models/{id}: one installed model."""
        model_id = request.path_params["model_id"]
        model = await anyio.to_thread.run_sync(self._runner.resolve, model_id)
        return JSONResponse(_model_document(model))

    async def chat_completions(self, request: Request) -> Response:
        """POST /v1/chat/completions."""
        chat = parse_chat(parse_json(await request.body()))
        model = await anyio.to_thread.run_sync(self._runner.resolve, chat.model)
        completion = Completion.start("chat.completion", model.id)

        def generate(engine: Engine) -> Any:
            return engine.chat(chat.messages, chat.sampling)

        return await self._answer(request, model, completion, generate, chat)

    async def completions(self, request: Request) -> Response:
        """POST /v1/completions (raw text, no chat template)."""
        job = parse_completion(parse_json(await request.body()))
        model = await anyio.to_thread.run_sync(self._runner.resolve, job.model)
        completion = Completion.start("text_completion", model.id)

        def generate(engine: Engine) -> Any:
            return engine.complete(job.prompt, job.sampling)

        return await self._answer(request, model, completion, generate, job)

    async def embeddings(self, request: Request) -> Response:
        """POST /v1/embeddings: one vector per input, in its turn for the model."""
        job = parse_embeddings(parse_json(await request.body()))
        model = await anyio.to_thread.run_sync(self._runner.resolve, job.model)
        note = usage_note(request)
        note.model = model.id

        def generate(engine: Engine) -> Iterator[Embeddings]:
            yield engine.embed(job.texts)

        result = await _unless_disconnected(
            request, lambda: self._result(model, generate, Embeddings, "input")
        )
        if result is None:  # the client went away
            return Response(status_code=499)
        note.prompt_tokens, note.completion_tokens = result.prompt_tokens, 0
        size = len(result.vectors[0])
        if job.dimensions not in (None, size):
            raise ApiError(
                400,
                f"'dimensions' must be {size} for '{model.id}' (vectors cannot be shortened).",
                param="dimensions",
            )
        return JSONResponse(embeddings_document(model.id, result, job.encoding_format))

    # -- answering --------------------------------------------------------------------------

    async def _answer(
        self,
        request: Request,
        model: InstalledModel,
        completion: Completion,
        generate: Generate,
        job: ChatRequest | CompletionRequest,
    ) -> Response:
        note = usage_note(request)
        note.model = model.id
        if job.stream:
            options = job.stream_options
            return StreamingResponse(
                self._stream(model, completion, generate, options, note),
                media_type="text/event-stream",
                headers={"x-accel-buffering": "no"},
            )
        finished = await _unless_disconnected(request, lambda: self._collect(model, generate, note))
        if finished is None:  # the client went away; nobody reads this
            return Response(status_code=499)
        return JSONResponse(completion.whole(finished))

    async def _collect(
        self, model: InstalledModel, generate: Generate, note: UsageNote
    ) -> ChatFinished:
        finished = await self._result(model, generate, ChatFinished, "messages")
        _note_usage(note, finished)
        _raise_if_failed(finished)
        return finished

    async def _result(
        self,
        model: InstalledModel,
        generate: Callable[[Engine], Iterator[object]],
        kind: type[T],
        input_param: str,
    ) -> T:
        """The job's result (its first ``kind`` item), in its turn; engine errors as API errors.

        ``input_param`` is the field named when the input does not fit the model.
        """
        events = self._runner.run(model, generate)
        async with contextlib.aclosing(events):
            try:
                async for event in events:
                    if isinstance(event, kind):
                        return event
            except (NextHubError, ValueError) as exc:
                raise _api_error(exc, input_param) from None
        raise ApiError(503, "The model stopped without finishing.", code="engine_error")

    async def _stream(
        self,
        model: InstalledModel,
        completion: Completion,
        generate: Generate,
        options: StreamOptions,
        note: UsageNote,
    ) -> AsyncIterator[bytes]:
        usage_field = options.include_usage
        events = self._runner.run(model, generate)
        async with contextlib.aclosing(events):
            started = False
            try:
                async for event in events:
                    if isinstance(event, QueuePosition):
                        yield sse_comment(f"queue position {event.position}")
                        continue
                    if not started:
                        started = True
                        opening = completion.chunk(role=True, text="", with_usage_field=usage_field)
                        yield sse_data(opening)
                    if isinstance(event, TextDelta) and event.text:
                        yield sse_data(
                            completion.chunk(text=event.text, with_usage_field=usage_field)
                        )
                    elif isinstance(event, ChatFinished):
                        _note_usage(note, event)
                        _raise_if_failed(event)
                        reason = "length" if event.finish_reason == "length" else "stop"
                        yield sse_data(
                            completion.chunk(finish_reason=reason, with_usage_field=usage_field)
                        )
                        if usage_field:
                            yield sse_data(completion.usage_chunk(event.usage))
                        yield SSE_DONE
                        return
            except (ApiError, NextHubError, ValueError) as exc:
                error = _api_error(exc)
                note.error_status = error.status
                yield sse_data(error.body())
            except Exception:
                note.error_status = 500
                yield sse_data(ApiError(500, "Internal error (a bug in NextHub).").body())
                raise


def _note_usage(note: UsageNote, finished: ChatFinished) -> None:
    note.prompt_tokens = finished.usage.prompt_tokens
    note.completion_tokens = finished.usage.completion_tokens


def _raise_if_failed(finished: ChatFinished) -> None:
    if finished.finish_reason == "error":
        raise ApiError(503, finished.error or "The model failed to answer.", code="engine_error")


def _api_error(exc: Exception, input_param: str = "messages") -> ApiError:
    """An engine or model error as the client should see it."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ContextOverflowError):
        return ApiError(400, str(exc), param=input_param, code="context_length_exceeded")
    if isinstance(exc, GrammarError):  # what the converter made, llama.cpp refused
        return ApiError(400, str(exc), param="response_format")
    if isinstance(exc, ValueError):
        return ApiError(400, str(exc))
    return ApiError(503, str(exc), code="model_unavailable")


def _model_document(model: InstalledModel) -> dict[str, Any]:
    created = datetime(model.added.year, model.added.month, model.added.day, tzinfo=UTC)
    return {
        "id": model.id,
        "object": "model",
        "created": int(created.timestamp()),
        "owned_by": "nexthub",
    }


async def _unless_disconnected(request: Request, work: Callable[[], Awaitable[T]]) -> T | None:
    """``work()``'s result, or None if the client disconnected first (``work`` is cancelled)."""
    outcome: list[T] = []
    failure: list[BaseException] = []
    async with anyio.create_task_group() as group:

        async def watch() -> None:
            while (await request.receive())["type"] != "http.disconnect":
                pass
            group.cancel_scope.cancel()

        async def run() -> None:
            try:
                outcome.append(await work())
            except Exception as exc:
                failure.append(exc)
            group.cancel_scope.cancel()

        group.start_soon(watch)
        group.start_soon(run)
    if failure:
        raise failure[0]
    return outcome[0] if outcome else None
