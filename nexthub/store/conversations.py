"""SQL for conversations. Every function runs inside a read or write of database.py.

Statements are plain SQL on the connection, with bound parameters (so each is
prepared once and then found in the statement cache), and rows come back as
tuples that :func:`conversation_from_tuple` turns into records: a list page
costs about a microsecond per conversation on top of SQLite's own work.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from uuid import uuid4

from sqlite_utils import Database

from nexthub.store.errors import ConversationNotFoundError
from nexthub.store.records import Conversation, JsonValue, conversation_from_tuple, now

#: The columns of a :class:`Conversation`, in the order of its fields.
COLUMNS = (
    "id, title, created, updated, model, system_prompt, sampling, pinned, archived, active_leaf_id"
)
_SELECT = f"SELECT {COLUMNS} FROM conversations"  # noqa: S608 - fixed text
_ORDER = " ORDER BY pinned DESC, updated DESC, seq DESC LIMIT ? OFFSET ?"
#: ``list_page``'s statement for ``archived`` None (all), and for True or False.
PAGE_ALL = _SELECT + _ORDER
PAGE_ARCHIVED = _SELECT + " WHERE archived = ?" + _ORDER
COUNT_ALL = "SELECT count(*) FROM conversations"
COUNT_ARCHIVED = COUNT_ALL + " WHERE archived = ?"
_NAMES = COLUMNS.split(", ")
_INSERT = f"INSERT INTO conversations ({COLUMNS}) VALUES ({', '.join('?' * len(_NAMES))})"  # noqa: S608


def create(
    db: Database,
    *,
    title: str,
    model: str | None,
    system_prompt: str,
    sampling: Mapping[str, JsonValue],
) -> Conversation:
    """Insert a new conversation and return it."""
    moment, stamp = now()
    conversation_id = str(uuid4())
    encoded = encode_sampling(sampling)
    db.execute(
        _INSERT,
        [conversation_id, title, stamp, stamp, model, system_prompt, encoded, 0, 0, None],
    )
    return Conversation(
        id=conversation_id,
        title=title,
        created=moment,
        updated=moment,
        model=model,
        system_prompt=system_prompt,
        sampling=json.loads(encoded),  # as it reads back: a fresh dict of JSON values
    )


def encode_sampling(sampling: Mapping[str, JsonValue]) -> str:
    """Sampling settings as the stored JSON object."""
    return json.dumps(dict(sampling), ensure_ascii=False, sort_keys=True, allow_nan=False)


def get(db: Database, conversation_id: str) -> Conversation:
    """The conversation with this id, or :class:`ConversationNotFoundError`."""
    row = db.execute(_SELECT + " WHERE id = ?", [conversation_id]).fetchone()
    if row is None:
        raise ConversationNotFoundError(conversation_id)
    return conversation_from_tuple(row)


#: :func:`require`'s statement.
EXISTS = "SELECT 1 FROM conversations WHERE id = ?"


def require(db: Database, conversation_id: str) -> None:
    """Raise :class:`ConversationNotFoundError` unless the conversation exists."""
    if not db.execute(EXISTS, [conversation_id]).fetchone():
        raise ConversationNotFoundError(conversation_id)


def active_leaf(db: Database, conversation_id: str) -> str | None:
    """The conversation's active leaf id (:class:`ConversationNotFoundError` if none)."""
    row = db.execute(
        "SELECT active_leaf_id FROM conversations WHERE id = ?", [conversation_id]
    ).fetchone()
    if row is None:
        raise ConversationNotFoundError(conversation_id)
    return row[0]  # type: ignore[no-any-return]


def list_page(
    db: Database, *, limit: int, offset: int, archived: bool | None
) -> list[Conversation]:
    """A page of conversations: pinned first, then the most recently updated."""
    if archived is None:
        rows = db.execute(PAGE_ALL, [limit, offset]).fetchall()
    else:
        rows = db.execute(PAGE_ARCHIVED, [int(archived), limit, offset]).fetchall()
    return list(map(conversation_from_tuple, rows))


def count(db: Database, *, archived: bool | None) -> int:
    """How many conversations :func:`list_page` pages through."""
    if archived is None:
        return int(db.execute(COUNT_ALL).fetchone()[0])
    return int(db.execute(COUNT_ARCHIVED, [int(archived)]).fetchone()[0])


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
    columns = {**fields, "updated": now()[1]} if touch else dict(fields)
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
    return list(map(conversation_from_tuple, db.execute(_SELECT + " ORDER BY seq").fetchall()))


def existing(db: Database, ids: list[str]) -> set[str]:
    """Which of these conversation ids are in the store."""
    rows = db.execute(
        "SELECT id FROM conversations WHERE id IN (SELECT value FROM json_each(?))",
        [json.dumps(ids)],
    )
    return {row[0] for row in rows}


def restore(db: Database, row: Mapping[str, Any]) -> None:
    """Insert a conversation as it was exported: its own id, timestamps and flags.

    ``row`` has every column of :data:`COLUMNS`. Its ``active_leaf_id`` must be
    None here (the messages are not there yet); set it with :func:`update`
    (``touch=False``) once they are.
    """
    db.execute(_INSERT, [row[name] for name in _NAMES])


def delete(db: Database, conversation_id: str) -> None:
    """Delete the conversation; its messages go with it (``ON DELETE CASCADE``)."""
    cursor = db.execute("DELETE FROM conversations WHERE id = ?", [conversation_id])
    if cursor.rowcount != 1:
        raise ConversationNotFoundError(conversation_id)
