"""What the chat database hands out: frozen dataclasses of plain values.

They mirror the engine's plain data (roles, finish reasons, token counts and
timings) without importing it: ``store/`` stands alone, and the service layer
maps between the two. Timestamps are timezone-aware UTC datetimes; the
database keeps them as fixed-width ISO 8601 text, so text order is time order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias, cast

Role = Literal["system", "user", "assistant"]
#: Why an answer ended: the engine's reasons, plus "interrupted" for an answer
#: whose stream stopped without a finish (the app crashed or was killed).
FinishReason = Literal["stop", "length", "cancelled", "error", "interrupted"]
ROLES: tuple[Role, ...] = ("system", "user", "assistant")
FINISH_REASONS: tuple[FinishReason, ...] = ("stop", "length", "cancelled", "error", "interrupted")

JsonValue: TypeAlias = str | int | float | bool | list["JsonValue"] | dict[str, "JsonValue"] | None


@dataclass(frozen=True)
class Conversation:
    """One conversation: its settings and which branch of its messages is shown."""

    id: str
    title: str
    created: datetime
    #: Last change: a message added or finished, a rename or a settings change.
    updated: datetime
    model: str | None
    system_prompt: str
    #: Sampling settings as a JSON object (the service maps it to the engine's).
    sampling: Mapping[str, JsonValue] = field(default_factory=dict)
    pinned: bool = False
    archived: bool = False
    #: The last message of the branch shown; None while there are no messages.
    active_leaf_id: str | None = None


@dataclass(frozen=True)
class Message:
    """One message. Regenerated answers and edited prompts are siblings: same parent."""

    id: str
    conversation_id: str
    #: None for a first message (edits of a first message are several roots).
    parent_id: str | None
    role: Role
    content: str
    created: datetime
    #: False while an answer is still streaming (or was cut off by a crash).
    complete: bool = True
    model: str | None = None
    finish_reason: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    time_to_first_token_s: float | None = None
    prompt_tokens_per_s: float | None = None
    decode_tokens_per_s: float | None = None


@dataclass(frozen=True)
class SearchHit:
    """A match of a search, with where to jump to."""

    conversation_id: str
    conversation_title: str
    #: None when the title matched rather than a message.
    message_id: str | None
    role: Role | None
    #: The matching text with each match between the caller's two markers. The
    #: text is raw (not HTML-escaped): escape it before inserting the markup.
    snippet: str
    #: FTS5 bm25 rank: lower is better.
    rank: float


def now_text() -> str:
    """The current UTC time as stored: fixed-width ISO 8601 with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """A stored timestamp back as an aware datetime."""
    return datetime.fromisoformat(text)


def conversation_from_row(row: Mapping[str, Any]) -> Conversation:
    """Build a :class:`Conversation` from a ``conversations`` row."""
    sampling = json.loads(row["sampling"])
    return Conversation(
        id=row["id"],
        title=row["title"],
        created=parse_time(row["created"]),
        updated=parse_time(row["updated"]),
        model=row["model"],
        system_prompt=row["system_prompt"],
        sampling=cast(dict[str, JsonValue], sampling),
        pinned=bool(row["pinned"]),
        archived=bool(row["archived"]),
        active_leaf_id=row["active_leaf_id"],
    )


def message_from_row(row: Mapping[str, Any]) -> Message:
    """Build a :class:`Message` from a ``messages`` row."""
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        parent_id=row["parent_id"],
        role=cast(Role, row["role"]),
        content=row["content"],
        created=parse_time(row["created"]),
        complete=bool(row["complete"]),
        model=row["model"],
        finish_reason=cast(FinishReason | None, row["finish_reason"]),
        prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"],
        time_to_first_token_s=row["time_to_first_token_s"],
        prompt_tokens_per_s=row["prompt_tokens_per_s"],
        decode_tokens_per_s=row["decode_tokens_per_s"],
    )
