"""What the chat database hands out: frozen dataclasses of plain values.

They mirror the engine's plain data (roles, finish reasons, token counts and
timings) without importing it: ``store/`` stands alone, and the service layer
maps between the two. Timestamps are timezone-aware UTC datetimes; the
database keeps them as fixed-width ISO 8601 text, so text order is time order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TypeAlias

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


def now() -> tuple[datetime, str]:
    """The current UTC time, and the same instant as stored (see :func:`now_text`)."""
    moment = datetime.now(UTC)
    return moment, moment.isoformat(timespec="microseconds")


def now_text() -> str:
    """The current UTC time as stored: fixed-width ISO 8601 with microseconds."""
    return now()[1]


#: A stored timestamp back as an aware datetime.
parse_time = datetime.fromisoformat


# Building records from rows. These run for every row a list or a branch returns,
# so they skip the dataclass ``__init__`` (ten or more ``object.__setattr__`` calls
# on a frozen class) and set the instance's ``__dict__`` in one step, as
# unpickling does; that halves the cost of a record. The instances are ordinary
# frozen dataclasses; a test checks that they equal what ``__init__`` builds and
# that every field is set.
_new = object.__new__
_set = object.__setattr__

#: Sampling settings by their stored JSON. A store holds few distinct ones (the
#: presets a user picks), and ``json.loads`` costs more than the rest of a
#: record; a flat object (scalar values only) is handed out as a shallow copy,
#: so every record still gets a dict of its own.
_SAMPLING: dict[str, dict[str, JsonValue]] = {}
_SAMPLING_MAX = 256


def _sampling(text: str) -> dict[str, JsonValue]:
    known = _SAMPLING.get(text)
    if known is not None:
        return dict(known)
    value: dict[str, JsonValue] = json.loads(text)
    if len(_SAMPLING) < _SAMPLING_MAX and not any(
        isinstance(item, list | dict) for item in value.values()
    ):
        _SAMPLING[text] = dict(value)
    return value


def conversation_from_tuple(row: Sequence[Any]) -> Conversation:
    """Build a :class:`Conversation` from a row of ``conversations.COLUMNS``."""
    (cid, title, created, updated, model, system_prompt, sampling, pinned, archived, leaf) = row
    conversation = _new(Conversation)
    _set(
        conversation,
        "__dict__",
        {
            "id": cid,
            "title": title,
            "created": parse_time(created),
            "updated": parse_time(updated),
            "model": model,
            "system_prompt": system_prompt,
            "sampling": {} if sampling == "{}" else _sampling(sampling),
            "pinned": pinned == 1,
            "archived": archived == 1,
            "active_leaf_id": leaf,
        },
    )
    return conversation


def message_from_tuple(row: Sequence[Any]) -> Message:
    """Build a :class:`Message` from a row of ``messages.COLUMNS``."""
    (
        mid,
        conversation_id,
        parent_id,
        role,
        content,
        created,
        complete,
        model,
        finish_reason,
        prompt_tokens,
        completion_tokens,
        time_to_first_token_s,
        prompt_tokens_per_s,
        decode_tokens_per_s,
    ) = row
    message = _new(Message)
    _set(
        message,
        "__dict__",
        {
            "id": mid,
            "conversation_id": conversation_id,
            "parent_id": parent_id,
            "role": role,
            "content": content,
            "created": parse_time(created),
            "complete": complete == 1,
            "model": model,
            "finish_reason": finish_reason,
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "time_to_first_token_s": time_to_first_token_s,
            "prompt_tokens_per_s": prompt_tokens_per_s,
            "decode_tokens_per_s": decode_tokens_per_s,
        },
    )
    return message
