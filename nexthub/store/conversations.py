"""SQL for conversations. Every function runs inside a read or write of database.py."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

from sqlite_utils import Database

from nexthub.store.errors import ConversationNotFoundError
from nexthub.store.records import Conversation, JsonValue, conversation_from_row, now_text

_COLUMNS = (
    "id, title, created, updated, model, system_prompt, sampling, pinned, archived, active_leaf_id"
)


def create(
    db: Database,
    *,
    title: str,
    model: str | None,
    system_prompt: str,
    sampling: Mapping[str, JsonValue],
) -> Conversation:
    """Insert a new conversation and return it."""
    now = now_text()
    conversation_id = str(uuid4())
    db.table("conversations").insert(
        {
            "id": conversation_id,
            "title": title,
            "created": now,
            "updated": now,
            "model": model,
            "system_prompt": system_prompt,
            "sampling": encode_sampling(sampling),
            "pinned": 0,
            "archived": 0,
            "active_leaf_id": None,
        }
    )
    return get(db, conversation_id)


def encode_sampling(sampling: Mapping[str, JsonValue]) -> str:
    """Sampling settings as the stored JSON object."""
    return json.dumps(dict(sampling), ensure_ascii=False, sort_keys=True, allow_nan=False)


def get(db: Database, conversation_id: str) -> Conversation:
    """The conversation with this id, or :class:`ConversationNotFoundError`."""
    rows = list(db.table("conversations").rows_where("id = ?", [conversation_id], select=_COLUMNS))
    if not rows:
        raise ConversationNotFoundError(conversation_id)
    return conversation_from_row(rows[0])


def require(db: Database, conversation_id: str) -> None:
    """Raise :class:`ConversationNotFoundError` unless the conversation exists."""
    if not db.execute("SELECT 1 FROM conversations WHERE id = ?", [conversation_id]).fetchone():
        raise ConversationNotFoundError(conversation_id)


def _archived_filter(archived: bool | None) -> tuple[str | None, list[Any]]:
    return (None, []) if archived is None else ("archived = ?", [int(archived)])


def list_page(
    db: Database, *, limit: int, offset: int, archived: bool | None
) -> list[Conversation]:
    """A page of conversations: pinned first, then the most recently updated."""
    where, params = _archived_filter(archived)
    rows = db.table("conversations").rows_where(
        where,
        params,
        select=_COLUMNS,
        order_by="pinned DESC, updated DESC, seq DESC",
        limit=limit,
        offset=offset,
    )
    return [conversation_from_row(row) for row in rows]


def count(db: Database, *, archived: bool | None) -> int:
    """How many conversations :func:`list_page` pages through."""
    where, params = _archived_filter(archived)
    return db.table("conversations").count_where(where or "1", params)


#: The columns :func:`update` may set.
UPDATABLE = frozenset(
    {"title", "model", "system_prompt", "sampling", "pinned", "archived", "active_leaf_id"}
)


def update(
    db: Database, conversation_id: str, fields: Mapping[str, Any], *, touch: bool = True
) -> None:
    """Set ``fields`` (column -> value), and ``updated`` unless ``touch`` is False.

    Raises :class:`ConversationNotFoundError` if there is no such conversation.
    """
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")
    columns = {**fields, "updated": now_text()} if touch else dict(fields)
    if not columns:
        require(db, conversation_id)
        return
    assignments = ", ".join(f"{column} = ?" for column in columns)
    cursor = db.execute(
        f"UPDATE conversations SET {assignments} WHERE id = ?",  # noqa: S608 - names checked above
        [*columns.values(), conversation_id],
    )
    if cursor.rowcount != 1:
        raise ConversationNotFoundError(conversation_id)


def all_in_order(db: Database) -> list[Conversation]:
    """Every conversation, archived ones too, in the order they were created."""
    rows = db.table("conversations").rows_where(select=_COLUMNS, order_by="seq")
    return [conversation_from_row(row) for row in rows]


def existing(db: Database, ids: list[str]) -> set[str]:
    """Which of these conversation ids are in the store."""
    rows = db.execute(
        "SELECT id FROM conversations WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    )
    return {row[0] for row in rows}


def restore(db: Database, row: Mapping[str, Any]) -> None:
    """Insert a conversation as it was exported: its own id, timestamps and flags.

    Its ``active_leaf_id`` must be None here (the messages are not there yet);
    set it with :func:`update` (``touch=False``) once they are.
    """
    db.table("conversations").insert(dict(row))


def delete(db: Database, conversation_id: str) -> None:
    """Delete the conversation; its messages go with it (``ON DELETE CASCADE``)."""
    cursor = db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])
    if cursor.rowcount != 1:
        raise ConversationNotFoundError(conversation_id)
