"""One request's use of the model: wait its turn, load the model it names, stream its events.

Requests that need the model take a place in the :class:`ModelQueue`. While
one waits, :class:`QueuePosition` items say where it is; in its turn, the
model it names is loaded if another one is loaded (the load is part of the
turn, so nobody else's answer is cut short), and then the engine's events
follow. A reader that stops early cancels the generation, and the turn ends
only once the engine is idle again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncGenerator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from nexthub.engine import ChatEvent, Engine
from nexthub.models import InstalledModel, ModelNotFoundError
from nexthub.service.hub import Hub
from nexthub.web.errors import ApiError
from nexthub.web.model_queue import ModelQueue
from nexthub.web.thread_bridge import run_on_thread

#: What a job yields: a chat's events, or one result (embeddings).
E = TypeVar("E")
#: Starts a generation on the engine (called on the generation's thread).
Generate = Callable[[Engine], Iterator[ChatEvent]]


@dataclass(frozen=True)
class QueuePosition:
    """The request waits: this many are served before it (1: next)."""

    position: int


class ModelRunner:
    """Serves requests to the hub's engine one at a time, in arrival order."""

    def __init__(self, hub: Hub, *, report_interval_s: float = 1.0) -> None:
        self._hub = hub
        self._queue = ModelQueue()
        self._report_interval_s = report_interval_s

    @property
    def queue(self) -> ModelQueue:
        """The queue (for its length)."""
        return self._queue

    def installed(self) -> list[InstalledModel]:
        """The installed models whose files are there."""
        return [m for m in self._hub.models.registry.list() if m.is_available]

    def resolve(self, model: str) -> InstalledModel:
        """The installed model a request names (404 ``model_not_found`` if none)."""
        try:
            found = self._hub.models.registry.get(model)
        except ModelNotFoundError as exc:
            raise ApiError(404, str(exc), param="model", code="model_not_found") from None
        if not found.is_available:
            raise ApiError(
                404,
                f"The file of model '{found.id}' is missing ({found.path.name} was moved "
                "or deleted).",
                param="model",
                code="model_not_found",
            )
        return found

    async def run(
        self, model: InstalledModel, generate: Callable[[Engine], Iterator[E]]
    ) -> AsyncGenerator[QueuePosition | E, None]:
        """Wait for the turn, then stream the generation (see the module docstring)."""
        ticket = self._queue.join()
        try:
            while not ticket.granted.is_set():
                yield QueuePosition(self._queue.position(ticket))
                await self._queue.wait(ticket, self._report_interval_s)
            work = self._work(model, generate)
            async with contextlib.aclosing(run_on_thread(work, self._hub.engine.cancel)) as events:
                async for event in events:
                    yield event
        finally:
            self._queue.leave(ticket)

    def _work(
        self, model: InstalledModel, generate: Callable[[Engine], Iterator[E]]
    ) -> Callable[[Callable[[E], None], threading.Event], None]:
        hub = self._hub

        def work(emit: Callable[[E], None], stop: threading.Event) -> None:
            loaded = hub.loaded_model
            if loaded is None or loaded.path != model.path:
                hub.load_model(model.id)
            if stop.is_set():
                return
            with contextlib.closing(generate(hub.engine)) as events:  # type: ignore[type-var]
                for event in events:
                    emit(event)
                    if stop.is_set():
                        break  # closing the engine's stream cancels and drains it

        return work
