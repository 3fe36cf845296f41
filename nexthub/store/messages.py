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

from nexthub.store.errors import AnswerNotStreamingError, MessageNotFoundError
from nexthub.store.records import FinishReason, Message, Role, message_from_tuple, now

#: The columns of a :class:`Message`, in the order of its fields.
COLUMNS = (
    "id, conversation_id, parent_id, role, content, created, complete, model, finish_reason, "
    "prompt_tokens, completion_tokens, time_to_first_token_s, prompt_tokens_per_s, "
    "decode_tokens_per_s"
)
_SELECT = f"SELECT {COLUMNS} FROM messages"  # noqa: S608 - fixed text
#: What :func:`insert` writes; the other columns keep their defaults (NULL).
INSERT = (
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, created, complete, "
    "model) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_NAMES = COLUMNS.split(", ")
_RESTORE = f"INSERT INTO messages ({COLUMNS}) VALUES ({', '.join('?' * len(_NAMES))})"  # noqa: S608


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
    moment, stamp = now()
    db.execute(
        INSERT,
        [message_id, conversation_id, parent_id, role, content, stamp, int(complete), model],
    )
    return Message(
        id=message_id,
        conversation_id=conversation_id,
        parent_id=parent_id,
        role=role,
        content=content,
        created=moment,
        complete=complete,
        model=model,
    )


def restore(db: Database, rows: list[dict[str, Any]]) -> None:
    """Insert messages as they were exported (ids, timestamps, usage), in this order.

    Each row has every column of :data:`COLUMNS`. The caller checked that each
    parent comes before its children. Complete messages join the full-text
    index through the insert trigger, as usual.
    """
    db.conn.executemany(_RESTORE, ([row[name] for name in _NAMES] for row in rows))


def existing(db: Database, ids: list[str]) -> set[str]:
    """Which of these message ids are in the store."""
    rows = db.execute(f"SELECT id FROM messages WHERE {_IN_LIST}", [json.dumps(ids)])  # noqa: S608
    return {row[0] for row in rows}


def get(db: Database, message_id: str) -> Message:
    """The message with this id, or :class:`MessageNotFoundError`."""
    row = db.execute(_SELECT + " WHERE id = ?", [message_id]).fetchone()
    if row is None:
        raise MessageNotFoundError(message_id)
    return message_from_tuple(row)


#: :func:`finish`'s statement.
FINISH = f"""
    UPDATE messages SET content = coalesce(?, content || ?), complete = 1, finish_reason = ?,
        prompt_tokens = ?, completion_tokens = ?, time_to_first_token_s = ?,
        prompt_tokens_per_s = ?, decode_tokens_per_s = ?
    WHERE id = ? AND complete = 0
    RETURNING {COLUMNS}
"""  # noqa: S608 - fixed text


def finish(
    db: Database,
    message_id: str,
    *,
    text: str | None,
    pending: str,
    finish_reason: FinishReason,
    usage: tuple[int | None, int | None, float | None, float | None, float | None],
) -> Message:
    """Complete a streaming answer in one statement and return it as stored.

    Its content becomes ``text``, or (None) what was committed plus ``pending``;
    ``usage`` is prompt and completion tokens, time to first token, prompt and
    decode tokens per second. Completing it puts it in the full-text index
    (trigger). :class:`MessageNotFoundError` if there is no such message,
    :class:`AnswerNotStreamingError` if it is complete already.
    """
    rows = db.execute(FINISH, [text, pending, finish_reason, *usage, message_id]).fetchall()
    if not rows:
        conversation_of(db, message_id)  # MessageNotFoundError if it is not there
        raise AnswerNotStreamingError(message_id)
    return message_from_tuple(rows[0])


#: :func:`append_text`'s statement.
APPEND = "UPDATE messages SET content = content || ? WHERE id = ? AND complete = 0"


def append_text(db: Database, message_id: str, text: str) -> bool:
    """Add ``text`` to a streaming answer's content; False if it is gone or complete."""
    return int(db.execute(APPEND, [text, message_id]).rowcount) == 1


#: :func:`conversation_of`'s statement.
CONVERSATION_OF = "SELECT conversation_id FROM messages WHERE id = ?"


def conversation_of(db: Database, message_id: str) -> str:
    """The id of the message's conversation, or :class:`MessageNotFoundError`."""
    row = db.execute(CONVERSATION_OF, [message_id]).fetchone()
    if row is None:
        raise MessageNotFoundError(message_id)
    return str(row[0])


def _where(db: Database, where: str, params: list[Any]) -> list[Message]:
    rows = db.execute(f"{_SELECT} WHERE {where} ORDER BY seq", params).fetchall()
    return list(map(message_from_tuple, rows))


_M_COLUMNS = ", ".join(f"m.{name}" for name in _NAMES)
_PATH_TO_LEAF = """
    WITH RECURSIVE path(id, depth) AS (
        SELECT ?, 0
        UNION ALL
        SELECT m.parent_id, path.depth + 1
        FROM messages m JOIN path ON m.id = path.id
        WHERE m.parent_id IS NOT NULL
    )
"""
_BRANCH = f"""{_PATH_TO_LEAF}
    SELECT {_M_COLUMNS} FROM path CROSS JOIN messages m ON m.id = path.id
    ORDER BY path.depth DESC
"""  # noqa: S608 - fixed text
# CROSS JOIN keeps ``path`` the outer loop: SQLite would otherwise scan every
# message and probe the path (300 ms instead of 1 ms at 100,000 messages).
# A message's versions: the messages with its parent (the index messages_by_conversation).
_SIBLINGS = (
    "FROM messages s WHERE s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id"
)
_BRANCH_VERSIONS = f"""{_PATH_TO_LEAF}
    SELECT {_M_COLUMNS},
        (SELECT count(*) {_SIBLINGS} AND s.seq <= m.seq), (SELECT count(*) {_SIBLINGS})
    FROM path CROSS JOIN messages m ON m.id = path.id
    ORDER BY path.depth DESC
"""  # noqa: S608 - fixed text


def branch(db: Database, leaf_id: str) -> list[Message]:
    """The path from the root down to ``leaf_id``, root first."""
    return list(map(message_from_tuple, db.execute(_BRANCH, [leaf_id]).fetchall()))


def branch_versions(db: Database, leaf_id: str) -> list[tuple[Message, int, int]]:
    """The path from the root down to ``leaf_id``, each with its version and version count.

    One query for the whole branch: a chat view shows "2/3" on every message,
    and asking for each message's siblings in turn cost a query per message.
    """
    return [
        (message_from_tuple(row[:-2]), row[-2], row[-1])
        for row in db.execute(_BRANCH_VERSIONS, [leaf_id]).fetchall()
    ]


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
    row = db.execute(
        "SELECT count(*) FROM messages WHERE conversation_id = ? AND complete = 1",
        [conversation_id],
    ).fetchone()
    return int(row[0])


_IN_LIST = "id IN (SELECT value FROM json_each(?))"


def count_indexed(db: Database, ids: list[str]) -> int:
    """How many of these messages are complete, so in the full-text index."""
    sql = f"SELECT count(*) FROM messages WHERE complete = 1 AND {_IN_LIST}"  # noqa: S608
    return int(db.execute(sql, [json.dumps(ids)]).fetchone()[0])


def delete_many(db: Database, ids: list[str]) -> None:
    """Delete these messages, in one statement (parent links are checked at commit)."""
    db.execute(f"DELETE FROM messages WHERE {_IN_LIST}", [json.dumps(ids)])  # noqa: S608
