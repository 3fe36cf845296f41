"""Worker-thread side of the chat view: read the shown branch and render its markdown.

These functions block (on the database, and on markdown rendering at about a
millisecond a kilobyte), so the panel runs them through the TaskRunner and
gets plain :class:`~nexthub.gui.chat.message_model.MessageItem` objects back;
no Qt object is made here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass

from nexthub.gui.chat.markdown_html import CodeTheme, RenderedMarkdown, render_markdown
from nexthub.gui.chat.message_model import MessageItem
from nexthub.gui.chat.text_estimate import TextMetrics, estimate_text_height
from nexthub.service.chat_session import ChatSession

#: Messages at the end of a conversation rendered before it is shown; the rest follow.
RENDER_FIRST = 40
#: Messages rendered per batch handed to the main thread while a conversation opens.
RENDER_BATCH = 50


@dataclass(frozen=True)
class ViewLook:
    """What a worker thread needs of the view: code colours, and metrics to guess heights."""

    theme: CodeTheme
    metrics: TextMetrics


@dataclass(frozen=True)
class OpenedChat:
    """A conversation read for the view: its session and its rows."""

    session: ChatSession
    items: list[MessageItem]


def read_branch(
    session: ChatSession,
    look: ViewLook,
    *,
    known: Collection[str] = (),
    render_last: int | None = None,
    streamed: str | None = None,
) -> list[MessageItem]:
    """The shown branch as rows, heights guessed, markdown rendered for what the view lacks.

    ``known`` are ids whose rendering the view already has. ``render_last``
    limits rendering to the last messages (the rest are rendered by
    :func:`render_in_batches`). ``streamed`` is the text of the answer just
    streamed, whose document the view keeps: the last message is not rendered
    when it has that text. (The session leaves system messages out: the
    system prompt belongs to the chat's settings.)
    """
    width = look.metrics.width
    items = [
        MessageItem(
            shown.role,
            shown.content,
            shown.version,
            shown.versions,
            shown.record,
            estimate=(width, estimate_text_height(shown.content, look.metrics)),
        )
        for shown in session.shown()
    ]
    first = 0 if render_last is None else max(0, len(items) - render_last)
    for number, item in enumerate(items[first:], first):
        if streamed is not None and number == len(items) - 1 and item.content == streamed:
            continue
        if item.message_id not in known or item.record is None or not item.record.complete:
            item.rendered = render_markdown(item.content, look.theme)
    return items


def render_in_batches(
    messages: list[tuple[str, str]],
    theme: CodeTheme,
    deliver: Callable[[list[tuple[str, RenderedMarkdown]]], None],
    cancelled: Callable[[], bool],
) -> None:
    """Render ``(message id, text)`` pairs, last first, handing over every RENDER_BATCH.

    Last first because the view opens at the end of a conversation, and
    readers scroll up from there.
    """
    batch: list[tuple[str, RenderedMarkdown]] = []
    for message_id, text in reversed(messages):
        if cancelled():
            return
        batch.append((message_id, render_markdown(text, theme)))
        time.sleep(0)  # let the main thread have the GIL between messages
        if len(batch) == RENDER_BATCH:
            deliver(batch)
            batch = []
    if batch:
        deliver(batch)
