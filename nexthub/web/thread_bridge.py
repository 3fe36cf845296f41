"""Blocking work (loading a model, reading the engine's events) on a thread, as an async stream.

The engine's calls block, so each generation runs on its own thread and
hands its events to the event loop one by one. If the reader stops early (a
client disconnected, its task was cancelled), the work is told to stop and
``cancel`` is called (``Engine.cancel()``), and the reader waits, shielded
from cancellation, until the thread has finished: only then is the engine
free for the next request in the queue.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread

T = TypeVar("T")

#: ``work(emit, stop)``: call ``emit`` with each item; return when done or when ``stop`` is set.
Work = Callable[[Callable[[T], None], threading.Event], None]


@dataclass(frozen=True)
class _Failed:
    error: BaseException


_END = object()


async def run_on_thread(work: Work[T], cancel: Callable[[], None]) -> AsyncGenerator[T, None]:
    """Run ``work`` on a new thread and yield what it emits (see the module docstring)."""
    loop = asyncio.get_running_loop()
    items: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def post(item: object) -> None:
        try:
            loop.call_soon_threadsafe(items.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody reads any more
            stop.set()

    def body() -> None:
        try:
            work(post, stop)
        except BaseException as exc:
            post(_Failed(exc))
        finally:
            post(_END)

    thread = threading.Thread(target=body, name="nexthub-generation", daemon=True)
    thread.start()
    try:
        while True:
            item = await items.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        if thread.is_alive():
            stop.set()
            cancel()
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(thread.join)
