"""Chats out of and back into the store: the export file (JSON, version 1), its
passphrase envelope, and Markdown.

The export file is documented field by field in docs/EXPORT_FORMAT.md; this
module is its one reader and writer. A file lists every conversation with all
its messages, every branch, in the order they were added (that order is what
the store uses to rank siblings, so an import keeps it). Reading checks every
field and the shape of every message tree before anything reaches the store,
and the store restores a whole file in one transaction, so a bad file imports
nothing.

The envelope (``--encrypt``) is AES-256-GCM under a key derived from a
passphrase with the same KDF code and defaults as the database key
(key_kdf.py: Argon2id, or scrypt where it is missing). Its header (format,
version, cipher, KDF and salt) is the associated data, so it cannot be
changed without failing the tag; a check value tells a wrong passphrase from
a damaged file, as in the wrapped-key file.

Error messages name positions and ids, never a title or a message's text.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from nexthub import __version__
from nexthub.store.conversations import encode_sampling
from nexthub.store.export_envelope import is_envelope, open_envelope
from nexthub.store.export_errors import (
    FORMAT_VERSION,
    ExportPassphraseError,
    ExportTooNewError,
    InvalidExportError,
    load_json,
)
from nexthub.store.records import (
    FINISH_REASONS,
    ROLES,
    Conversation,
    FinishReason,
    JsonValue,
    Message,
    Role,
)

FORMAT_NAME = "nexthub-chats"

_INT64 = 2**63
_ID_MAX_CHARS = 200


@dataclass(frozen=True)
class ConversationDump:
    """A conversation with every message it has, on every branch, in the order they were added."""

    conversation: Conversation
    messages: tuple[Message, ...]


@dataclass(frozen=True)
class RestoreReport:
    """What an import did, by conversation id."""

    #: New to this store, now in it.
    imported: tuple[str, ...]
    #: Already in the store and replaced by the file's version (``replace=True``).
    replaced: tuple[str, ...]
    #: Already in the store and left as they were (the default).
    skipped: tuple[str, ...]
    #: Messages written (of the imported and replaced conversations).
    messages: int


# -- Stored rows (the store restores these as they are) ---------------------------------------


def time_text(moment: datetime) -> str:
    """A timestamp as the store keeps it: fixed-width ISO 8601 UTC with microseconds."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def conversation_row(conversation: Conversation) -> dict[str, Any]:
    """The ``conversations`` row of ``conversation``, its active leaf left out (set last)."""
    c = conversation
    return {
        "id": c.id,
        "title": c.title,
        "created": time_text(c.created),
        "updated": time_text(c.updated),
        "model": c.model,
        "system_prompt": c.system_prompt,
        "sampling": encode_sampling(c.sampling),
        "pinned": int(c.pinned),
        "archived": int(c.archived),
        "active_leaf_id": None,
    }


def message_row(message: Message) -> dict[str, Any]:
    """The ``messages`` row of ``message``."""
    m = message
    return {
        "id": m.id,
        "conversation_id": m.conversation_id,
        "parent_id": m.parent_id,
        "role": m.role,
        "content": m.content,
        "created": time_text(m.created),
        "complete": int(m.complete),
        "model": m.model,
        "finish_reason": m.finish_reason,
        "prompt_tokens": m.prompt_tokens,
        "completion_tokens": m.completion_tokens,
        "time_to_first_token_s": m.time_to_first_token_s,
        "prompt_tokens_per_s": m.prompt_tokens_per_s,
        "decode_tokens_per_s": m.decode_tokens_per_s,
    }


def check_dumps(dumps: Sequence[ConversationDump]) -> None:
    """Raise :class:`InvalidExportError` unless every tree holds together.

    Ids are unique (conversations, and messages across all of them); each
    message belongs to its conversation and its parent is an earlier message
    of the same conversation (so there is no cycle, and the order the store
    ranks siblings by is an order it could have made); the active leaf is one
    of the conversation's messages.
    """
    conversation_ids: set[str] = set()
    message_ids: set[str] = set()
    for number, dump in enumerate(dumps, 1):
        conversation = dump.conversation
        where = f"conversation {number} (id {_short(conversation.id)})"
        if conversation.id in conversation_ids:
            raise InvalidExportError(f"{where} has the same id as an earlier one")
        conversation_ids.add(conversation.id)
        own: set[str] = set()
        for index, message in enumerate(dump.messages, 1):
            at = f"{where}, message {index} (id {_short(message.id)})"
            if message.id in message_ids:
                raise InvalidExportError(f"{at} has the same id as an earlier message")
            if message.conversation_id != conversation.id:
                raise InvalidExportError(f"{at} belongs to another conversation")
            if message.parent_id is not None and message.parent_id not in own:
                raise InvalidExportError(
                    f"{at} names a parent that is not an earlier message of the conversation"
                )
            message_ids.add(message.id)
            own.add(message.id)
        if conversation.active_leaf_id is not None and conversation.active_leaf_id not in own:
            raise InvalidExportError(f"{where} shows a message it does not have (active_leaf_id)")


def _short(identifier: str) -> str:
    shown = identifier if len(identifier) <= 40 else identifier[:40] + "…"
    return json.dumps(shown, ensure_ascii=True)


# -- Writing the export ------------------------------------------------------------------------


def _finite(value: float | None) -> float | None:
    # SQLite can hold an infinite timing; JSON cannot: it is written as null.
    return value if value is None or math.isfinite(value) else None


_TIMINGS = ("time_to_first_token_s", "prompt_tokens_per_s", "decode_tokens_per_s")


def _message_json(message: Message) -> dict[str, Any]:
    row = message_row(message)
    del row["conversation_id"]  # the message sits inside its conversation
    return row | {"complete": message.complete} | {t: _finite(row[t]) for t in _TIMINGS}


def _conversation_json(dump: ConversationDump) -> dict[str, Any]:
    c = dump.conversation
    row = conversation_row(c)
    return row | {
        "sampling": json.loads(row["sampling"]),  # as stored: keys sorted
        "pinned": c.pinned,
        "archived": c.archived,
        "active_leaf_id": c.active_leaf_id,
        "messages": [_message_json(m) for m in dump.messages],
    }


def to_json(dumps: Iterable[ConversationDump]) -> bytes:
    """The export file (UTF-8 JSON, version 1). The same chats give the same bytes."""
    document = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "exported_by": f"NextHub {__version__}",
        "conversations": [_conversation_json(dump) for dump in dumps],
    }
    text = json.dumps(document, ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


# -- Reading the export ------------------------------------------------------------------------

_TOP_FIELDS = frozenset({"format", "version", "exported_by", "conversations"})
_CONVERSATION_FIELDS = (
    "id",
    "title",
    "created",
    "updated",
    "model",
    "system_prompt",
    "sampling",
    "pinned",
    "archived",
    "active_leaf_id",
    "messages",
)
_MESSAGE_FIELDS = (
    "id",
    "parent_id",
    "role",
    "content",
    "created",
    "complete",
    "model",
    "finish_reason",
    "prompt_tokens",
    "completion_tokens",
    "time_to_first_token_s",
    "prompt_tokens_per_s",
    "decode_tokens_per_s",
)


def read_export(data: bytes, passphrase: Callable[[], str] | None = None) -> list[ConversationDump]:
    """The conversations of an export file, every field and every tree checked.

    An encrypted export is opened with ``passphrase()``, called only then
    (:class:`ExportPassphraseError` if it is wrong or there is none). Raises
    :class:`InvalidExportError` (or :class:`ExportTooNewError`) for anything
    it cannot import whole.
    """
    document = load_json(data, "the file")
    if is_envelope(document):
        if passphrase is None:
            raise ExportPassphraseError(
                "This export is encrypted: a passphrase is needed to import it. "
                "Nothing was imported."
            )
        document = load_json(open_envelope(document, passphrase()), "the decrypted file")
    return _read_document(document)


def _read_document(document: Any) -> list[ConversationDump]:
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise InvalidExportError(f"its 'format' is not \"{FORMAT_NAME}\"")
    version = document.get("version")
    if type(version) is not int:
        raise InvalidExportError("its 'version' is not a whole number")
    if version > FORMAT_VERSION:
        raise ExportTooNewError(version)
    if version != FORMAT_VERSION:
        raise InvalidExportError(f"its version {version} is not one NextHub knows")
    missing = {"format", "version", "conversations"} - set(document)
    unknown = set(document) - _TOP_FIELDS
    if missing or unknown:
        raise InvalidExportError(_field_problem("the file", missing, unknown))
    if "exported_by" in document and not isinstance(document["exported_by"], str):
        raise InvalidExportError("its 'exported_by' is not text")
    items = document["conversations"]
    if not isinstance(items, list):
        raise InvalidExportError("its 'conversations' is not a list")
    dumps = [_read_conversation(item, number) for number, item in enumerate(items, 1)]
    check_dumps(dumps)
    return dumps


def _field_problem(where: str, missing: Iterable[str], unknown: Iterable[str]) -> str:
    parts = []
    if missing:
        parts.append("lacks " + ", ".join(f"'{name}'" for name in sorted(missing)))
    if unknown:
        parts.append("has unknown fields " + ", ".join(_short(name) for name in sorted(unknown)))
    return f"{where} " + " and ".join(parts)


class _Fields:
    """One JSON object with exactly the expected fields, read with checks."""

    def __init__(self, obj: Any, where: str, names: tuple[str, ...]) -> None:
        if not isinstance(obj, dict):
            raise InvalidExportError(f"{where} is not a JSON object")
        missing, unknown = set(names) - set(obj), set(obj) - set(names)
        if missing or unknown:
            raise InvalidExportError(_field_problem(where, missing, unknown))
        self._obj: dict[str, Any] = obj
        self.where = where

    def _bad(self, name: str, expected: str) -> InvalidExportError:
        return InvalidExportError(f"{self.where}: '{name}' must be {expected}")

    def text(self, name: str) -> str:
        value = self._obj[name]
        if not isinstance(value, str):
            raise self._bad(name, "text")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise self._bad(name, "text without lone surrogates (\\ud800-\\udfff)") from None
        return value

    def optional_text(self, name: str) -> str | None:
        return None if self._obj[name] is None else self.text(name)

    def identifier(self, name: str) -> str:
        value = self.text(name)
        if not value or len(value) > _ID_MAX_CHARS:
            raise self._bad(name, f"a non-empty id of at most {_ID_MAX_CHARS} characters")
        return value

    def optional_identifier(self, name: str) -> str | None:
        return None if self._obj[name] is None else self.identifier(name)

    def flag(self, name: str) -> bool:
        value = self._obj[name]
        if not isinstance(value, bool):
            raise self._bad(name, "true or false")
        return value

    def count(self, name: str) -> int | None:
        value = self._obj[name]
        if value is None:
            return None
        if type(value) is not int or not -_INT64 <= value < _INT64:
            raise self._bad(name, "a whole number (64-bit) or null")
        return value

    def number(self, name: str) -> float | None:
        value = self._obj[name]
        if value is None:
            return None
        try:
            number = float(value) if type(value) in (int, float) else math.nan
        except OverflowError:  # an integer too big for a float
            number = math.nan
        if not math.isfinite(number):
            raise self._bad(name, "a number or null")
        return number

    def time(self, name: str) -> datetime:
        value = self._obj[name]
        try:
            moment = datetime.fromisoformat(value) if isinstance(value, str) else None
            if moment is not None and moment.tzinfo is not None:
                return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            pass
        raise self._bad(name, "an ISO 8601 time with a UTC offset")

    def choice(self, name: str, choices: tuple[str, ...], *, optional: bool) -> str | None:
        value = self._obj[name]
        if (value is None and optional) or value in choices:
            return cast(str | None, value)
        allowed = ", ".join(choices) + (" or null" if optional else "")
        raise self._bad(name, f"one of {allowed}")

    def raw(self, name: str) -> Any:
        return self._obj[name]


def _read_conversation(item: Any, number: int) -> ConversationDump:
    where = f"conversation {number}"
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        where += f" (id {_short(item['id'])})"
    fields = _Fields(item, where, _CONVERSATION_FIELDS)
    conversation_id = fields.identifier("id")
    sampling = fields.raw("sampling")
    if not isinstance(sampling, dict):
        raise InvalidExportError(f"{where}: 'sampling' must be a JSON object")
    try:
        encode_sampling(sampling)
    except (ValueError, UnicodeEncodeError):
        raise InvalidExportError(f"{where}: 'sampling' holds a value JSON cannot keep") from None
    conversation = Conversation(
        id=conversation_id,
        title=fields.text("title"),
        created=fields.time("created"),
        updated=fields.time("updated"),
        model=fields.optional_text("model"),
        system_prompt=fields.text("system_prompt"),
        sampling=cast(dict[str, JsonValue], sampling),
        pinned=fields.flag("pinned"),
        archived=fields.flag("archived"),
        active_leaf_id=fields.optional_identifier("active_leaf_id"),
    )
    messages = fields.raw("messages")
    if not isinstance(messages, list):
        raise InvalidExportError(f"{where}: 'messages' must be a list")
    return ConversationDump(
        conversation=conversation,
        messages=tuple(
            _read_message(m, f"{where}, message {index}", conversation_id)
            for index, m in enumerate(messages, 1)
        ),
    )


def _read_message(item: Any, where: str, conversation_id: str) -> Message:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        where += f" (id {_short(item['id'])})"
    fields = _Fields(item, where, _MESSAGE_FIELDS)
    return Message(
        id=fields.identifier("id"),
        conversation_id=conversation_id,
        parent_id=fields.optional_identifier("parent_id"),
        role=cast(Role, fields.choice("role", ROLES, optional=False)),
        content=fields.text("content"),
        created=fields.time("created"),
        complete=fields.flag("complete"),
        model=fields.optional_text("model"),
        finish_reason=cast(
            FinishReason | None, fields.choice("finish_reason", FINISH_REASONS, optional=True)
        ),
        prompt_tokens=fields.count("prompt_tokens"),
        completion_tokens=fields.count("completion_tokens"),
        time_to_first_token_s=fields.number("time_to_first_token_s"),
        prompt_tokens_per_s=fields.number("prompt_tokens_per_s"),
        decode_tokens_per_s=fields.number("decode_tokens_per_s"),
    )
