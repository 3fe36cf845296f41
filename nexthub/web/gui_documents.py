"""The JSON the web GUI's page reads: conversations, search hits, one conversation, models.

Everything a person reads as formatted text is rendered here on the server
(:mod:`nexthub.web.message_html`), so the page only ever inserts HTML that
was escaped and sanitised here; plain values (titles, ids) go to the page as
text, which it sets with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from nexthub.engine import SamplingSettings
from nexthub.models import InstalledModel
from nexthub.service.chat_session import ChatSession
from nexthub.service.conversation_list import Conversation, SearchHit
from nexthub.web.message_html import render_markdown, search_snippet_html


def conversation_row(conversation: Conversation) -> dict[str, Any]:
    """One line of the conversation list."""
    return {
        "id": conversation.id,
        "title": conversation.title,
        "updated": conversation.updated.isoformat(),
        "pinned": conversation.pinned,
    }


def search_hit(hit: SearchHit) -> dict[str, Any]:
    """One search result: where it is, and its snippet as safe HTML with ``<mark>``s."""
    return {
        "conversation_id": hit.conversation_id,
        "title": hit.conversation_title,
        "message_id": hit.message_id,
        "snippet_html": search_snippet_html(hit.snippet),
    }


def sampling_document(sampling: SamplingSettings) -> dict[str, Any]:
    """The sampling settings the page lets a person change."""
    return {
        "temperature": sampling.temperature,
        "top_p": sampling.top_p,
        "max_tokens": sampling.max_tokens,
        "seed": sampling.seed,
    }


def conversation_document(conversation: Conversation, session: ChatSession) -> dict[str, Any]:
    """A conversation as the page shows it: settings, and the branch on screen."""
    messages = []
    for index, shown in enumerate(session.shown()):
        record = shown.record
        messages.append(
            {
                "index": index,
                "role": shown.role,
                "text": shown.content,
                "html": render_markdown(shown.content),
                "version": shown.version,
                "versions": shown.versions,
                "finish_reason": record.finish_reason if record else None,
                "model": record.model if record else None,
            }
        )
    return {
        "id": conversation.id,
        "title": conversation.title,
        "system_prompt": session.system_prompt,
        "sampling": sampling_document(session.sampling),
        "messages": messages,
    }


def model_row(model: InstalledModel, loaded: bool) -> dict[str, Any]:
    """One entry of the model picker."""
    return {"id": model.id, "name": model.display_name, "loaded": loaded}
