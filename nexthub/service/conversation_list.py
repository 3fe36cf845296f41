"""The list of conversations every face shows: pages, search, and delete with undo.

Deleting is final in the store (secure_delete wipes the pages), so undo cannot
mean "un-delete". Instead the conversation is exported into memory first,
deleted for good at once, and restored from that copy if the user clicks
Undo. The copy lives only in this process: once the window closes (or
:meth:`ConversationList.forget_deleted` runs) nothing of it is left anywhere,
and a crash never leaves a "deleted" chat readable on disk.
"""

from __future__ import annotations

import itertools
import threading

from nexthub.errors import NextHubError
from nexthub.store import ChatStore, NotFoundError
from nexthub.store.portable import ConversationDump
from nexthub.store.records import Conversation, SearchHit
from nexthub.telemetry import Telemetry

__all__ = [
    "MARK_END",
    "MARK_START",
    "PAGE_SIZE",
    "Conversation",
    "ConversationList",
    "NotFoundError",
    "SearchHit",
]

#: Conversations per page of the sidebar.
PAGE_SIZE = 100
#: Where a search match starts and ends in a snippet (Unicode private use area).
MARK_START = "\ue000"
MARK_END = "\ue001"


class ConversationList:
    """Conversations of one store, as a sidebar or a web page lists them."""

    def __init__(self, store: ChatStore, telemetry: Telemetry | None = None) -> None:
        self._store = store
        self._telemetry = telemetry
        self._deleted: dict[int, ConversationDump] = {}
        self._tickets = itertools.count(1)
        self._lock = threading.Lock()

    def page(
        self, *, archived: bool = False, limit: int = PAGE_SIZE, offset: int = 0
    ) -> list[Conversation]:
        """Pinned first, then the most recently changed."""
        return self._store.list_conversations(limit=limit, offset=offset, archived=archived)

    def get(self, conversation_id: str) -> Conversation:
        """One conversation's title and settings (NextHubError if there is none)."""
        return self._store.get_conversation(conversation_id)

    def search(self, text: str, *, limit: int = 50) -> list[SearchHit]:
        """Titles and messages matching ``text``, each match marked with U+E000/U+E001.

        Private-use characters cannot occur in what a user types, so a face can
        HTML-escape the snippet safely and then turn the markers into highlights.
        """
        if not text.strip():
            return []
        if self._telemetry is not None:
            self._telemetry.count("feature.search")
        return self._store.search(text, limit=limit, markers=(MARK_START, MARK_END))

    def rename(self, conversation_id: str, title: str) -> Conversation:
        """Give a conversation a new, non-empty title."""
        title = " ".join(title.split())
        if not title:
            raise NextHubError("A conversation needs a title.")
        return self._store.rename_conversation(conversation_id, title)

    def set_pinned(self, conversation_id: str, pinned: bool) -> Conversation:
        """Pin to the top of the list, or unpin."""
        return self._store.set_pinned(conversation_id, pinned)

    def set_archived(self, conversation_id: str, archived: bool) -> Conversation:
        """Hide from the main list (kept and searchable), or bring back."""
        return self._store.set_archived(conversation_id, archived)

    def delete(self, conversation_id: str) -> int:
        """Delete for good; return a ticket that :meth:`undo_delete` takes while this runs."""
        (dump,) = self._store.export_conversations([conversation_id])
        self._store.delete_conversation(conversation_id)
        with self._lock:
            ticket = next(self._tickets)
            self._deleted[ticket] = dump
        return ticket

    def undo_delete(self, ticket: int) -> Conversation:
        """Put a deleted conversation back, exactly as it was (ids, branches, timestamps)."""
        with self._lock:
            dump = self._deleted.pop(ticket, None)
        if dump is None:
            raise NextHubError("That deletion can no longer be undone.")
        self._store.restore_conversations([dump])
        return self._store.get_conversation(dump.conversation.id)

    def forget_deleted(self) -> None:
        """Drop the in-memory copies: the deletions can no longer be undone."""
        with self._lock:
            self._deleted.clear()
