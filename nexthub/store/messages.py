"""SQL for messages: a tree per conversation, and the branch that is shown.

Every message but a first one has a parent. Regenerating an answer adds a new
answer under the same user message; editing a prompt adds a new user message
under the same parent: earlier versions stay, as siblings. The conversation's
``active_leaf_id`` names the last message of the branch shown; the branch is
the path from a root down to it.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

from sqlite_utils import Database

from nexthub.store.errors import MessageNotFoundError
from nexthub.store.records import Message, Role, message_from_row, now_text

COLUMNS = (
    "id, conversation_id, parent_id, role, content, created, complete, model, finish_reason, "
    "prompt_tokens, completion_tokens, time_to_first_token_s, prompt_tokens_per_s, "
    "decode_tokens_per_s"
)


def insert(
    db: Database,
    *,
    conversation_id: str,
    parent_id: str | None,
    role: Role,
    content: str,
    model: str | None,
    complete: bool,
) -> Message:
    """Add a message (the caller checked the conversation and the parent) and return it."""
    message_id = str(uuid4())
    db.table("messages").insert(
        {
            "id": message_id,
            "conversation_id": conversation_id,
            "parent_id": parent_id,
            "role": role,
            "content": content,
            "created": now_text(),
            "complete": int(complete),
            "model": model,
        }
    )
    return get(db, message_id)


def restore(db: Database, rows: list[dict[str, Any]]) -> None:
    """Insert messages as they were exported (ids, timestamps, usage), in this order.

    The caller checked that each parent comes before its children. Complete
    messages join the full-text index through the insert trigger, as usual.
    """
    db.table("messages").insert_all(rows)


def existing(db: Database, ids: list[str]) -> set[str]:
    """Which of these message ids are in the store."""
    rows = db.execute(f"SELECT id FROM messages WHERE {_IN_LIST}", [json.dumps(ids)])  # noqa: S608
    return {row[0] for row in rows}


def get(db: Database, message_id: str) -> Message:
    """The message with this id, or :class:`MessageNotFoundError`."""
    rows = list(db.table("messages").rows_where("id = ?", [message_id], select=COLUMNS))
    if not rows:
        raise MessageNotFoundError(message_id)
    return message_from_row(rows[0])


def _where(db: Database, where: str, params: list[Any]) -> list[Message]:
    rows = db.table("messages").rows_where(where, params, select=COLUMNS, order_by="seq")
    return [message_from_row(row) for row in rows]


_BRANCH = """
    WITH RECURSIVE path(id, depth) AS (
        SELECT ?, 0
        UNION ALL
        SELECT m.parent_id, path.depth + 1
        FROM messages m JOIN path ON m.id = path.id
        WHERE m.parent_id IS NOT NULL
    )
    SELECT messages.* FROM path CROSS JOIN messages ON messages.id = path.id
    ORDER BY path.depth DESC
"""
# CROSS JOIN keeps ``path`` the outer loop: SQLite would otherwise scan every
# message and probe the path (300 ms instead of 1 ms at 100,000 messages).


def branch(db: Database, leaf_id: str) -> list[Message]:
    """The path from the root down to ``leaf_id``, root first."""
    return [message_from_row(row) for row in db.query(_BRANCH, [leaf_id])]


def siblings(db: Database, message: Message) -> list[Message]:
    """The versions of ``message``: it and every message with the same parent, oldest first."""
    where = "conversation_id = ? AND parent_id IS ?"
    return _where(db, where, [message.conversation_id, message.parent_id])


def all_in_conversation(db: Database, conversation_id: str) -> list[Message]:
    """Every message of a conversation, every branch, in the order they were added."""
    return _where(db, "conversation_id = ?", [conversation_id])


def unfinished(db: Database) -> list[Message]:
    """Answers whose stream never finished, oldest first."""
    return _where(db, "complete = 0", [])


_NEWEST_LEAF_UNDER = """
    WITH RECURSIVE down(id, depth) AS (
        SELECT ?, 0
        UNION ALL
        SELECT (SELECT c.id FROM messages c WHERE c.parent_id = down.id
                ORDER BY c.seq DESC LIMIT 1), down.depth + 1
        FROM down WHERE down.id IS NOT NULL
    )
    SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1
"""


def newest_leaf_under(db: Database, message_id: str) -> str:
    """Follow the newest child from ``message_id`` down to a leaf; return the leaf's id."""
    return str(db.execute(_NEWEST_LEAF_UNDER, [message_id]).fetchone()[0])


def newest_leaf(db: Database, conversation_id: str) -> str | None:
    """The newest leaf under the newest root, or None for a conversation with no messages."""
    row = db.execute(
        "SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS NULL "
        "ORDER BY seq DESC LIMIT 1",
        [conversation_id],
    ).fetchone()
    return None if row is None else newest_leaf_under(db, row[0])


_SUBTREE = """
    WITH RECURSIVE sub(id) AS (
        SELECT ?
        UNION ALL
        SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id
    )
    SELECT id FROM sub
"""


def subtree(db: Database, message_id: str) -> list[str]:
    """The ids of ``message_id`` and all its descendants."""
    return [row[0] for row in db.execute(_SUBTREE, [message_id])]


def count_indexed_in_conversation(db: Database, conversation_id: str) -> int:
    """How many of the conversation's messages are complete, so in the full-text index."""
    return db.table("messages").count_where(
        "conversation_id = ? AND complete = 1", [conversation_id]
    )


_IN_LIST = "id IN (SELECT value FROM json_each(?))"


def count_indexed(db: Database, ids: list[str]) -> int:
    """How many of these messages are complete, so in the full-text index."""
    return db.table("messages").count_where(f"complete = 1 AND {_IN_LIST}", [json.dumps(ids)])


def delete_many(db: Database, ids: list[str]) -> None:
    """Delete these messages, in one statement (parent links are checked at commit)."""
    db.table("messages").delete_where(_IN_LIST, [json.dumps(ids)])
