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

import base64
import binascii
import json
import math
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nexthub import __version__
from nexthub.store.conversations import encode_sampling
from nexthub.store.errors import StoreError
from nexthub.store.key_format import (
    CHECK_BYTES,
    NONCE_BYTES,
    _bytes_field,
    _MalformedError,
    _parse_kdf,
    kek_check,
)
from nexthub.store.key_kdf import SALT_BYTES, KdfParams, PassphraseKdf, default_kdf
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
FORMAT_VERSION = 1
ENCRYPTED_FORMAT_NAME = "nexthub-chats-encrypted"
ENCRYPTED_FORMAT_VERSION = 1
CIPHER = "aes-256-gcm"

_INT64 = 2**63
_ID_MAX_CHARS = 200


class InvalidExportError(StoreError):
    """The file is not an export NextHub can read, or its conversations do not hold together."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            f"This is not a NextHub export that can be imported: {problem}. Nothing was imported."
        )


class ExportTooNewError(StoreError):
    """The export was written by a newer NextHub (a format version this one does not know)."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"This export was written by a newer version of NextHub (format version {version}; "
            f"this version reads {FORMAT_VERSION}). Update NextHub to import it. "
            "Nothing was imported."
        )


class ExportPassphraseError(StoreError):
    """The passphrase does not open an encrypted export (or none was given)."""


class ImportConflictError(StoreError):
    """A message in the export has the id of a message of another conversation in the store."""


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


def _load_json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON; numbers too long to convert
        raise InvalidExportError(f"{what} is not valid JSON (it may be cut short)") from None


def read_export(data: bytes, passphrase: Callable[[], str] | None = None) -> list[ConversationDump]:
    """The conversations of an export file, every field and every tree checked.

    An encrypted export is opened with ``passphrase()``, called only then
    (:class:`ExportPassphraseError` if it is wrong or there is none). Raises
    :class:`InvalidExportError` (or :class:`ExportTooNewError`) for anything
    it cannot import whole.
    """
    document = _load_json(data, "the file")
    if isinstance(document, dict) and document.get("format") == ENCRYPTED_FORMAT_NAME:
        if passphrase is None:
            raise ExportPassphraseError(
                "This export is encrypted: a passphrase is needed to import it. "
                "Nothing was imported."
            )
        document = _load_json(_open_envelope(document, passphrase()), "the decrypted file")
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


# -- The passphrase envelope -------------------------------------------------------------------


def _envelope_header(kdf: PassphraseKdf) -> dict[str, Any]:
    return {
        "format": ENCRYPTED_FORMAT_NAME,
        "version": ENCRYPTED_FORMAT_VERSION,
        "cipher": CIPHER,
        "kdf": kdf.to_json(),
    }


def _associated_data(header: Mapping[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("ascii")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def encrypt(data: bytes, passphrase: str, *, kdf: KdfParams | None = None) -> bytes:
    """``data`` (an export) sealed under ``passphrase``: the envelope's bytes.

    ``kdf`` sets the cost (tests pass a cheap one); the default is the
    database key's: Argon2id (RFC 9106, 64 MiB), or scrypt where it is missing.
    """
    if not passphrase:
        raise ExportPassphraseError("An encrypted export needs a passphrase; none was given.")
    derivation = PassphraseKdf(params=kdf or default_kdf(), salt=secrets.token_bytes(SALT_BYTES))
    key = derivation.derive(passphrase)
    header = _envelope_header(derivation)
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key).encrypt(nonce, data, _associated_data(header))
    envelope = header | {
        "nonce": _b64(nonce),
        "check": _b64(kek_check(key)),
        "ciphertext": _b64(ciphertext),
    }
    return (json.dumps(envelope, indent=2) + "\n").encode("ascii")


_ENVELOPE_FIELDS = frozenset({"format", "version", "cipher", "kdf", "nonce", "check", "ciphertext"})


def decrypt(data: bytes, passphrase: str) -> bytes:
    """The export inside an envelope; :class:`ExportPassphraseError` for a wrong passphrase."""
    envelope = _load_json(data, "the encrypted export")
    if not isinstance(envelope, dict) or envelope.get("format") != ENCRYPTED_FORMAT_NAME:
        raise InvalidExportError("it is not an encrypted NextHub export")
    return _open_envelope(envelope, passphrase)


def _open_envelope(envelope: dict[str, Any], passphrase: str) -> bytes:
    version = envelope.get("version")
    if type(version) is int and version > ENCRYPTED_FORMAT_VERSION:
        raise ExportTooNewError(version)
    if (
        set(envelope) != _ENVELOPE_FIELDS
        or version != ENCRYPTED_FORMAT_VERSION
        or envelope.get("cipher") != CIPHER
    ):
        raise InvalidExportError("its encryption header has the wrong fields or version")
    try:
        derivation = _parse_kdf(envelope["kdf"])
        nonce = _bytes_field(envelope, "nonce", NONCE_BYTES)
        check = _bytes_field(envelope, "check", CHECK_BYTES)
        text = envelope["ciphertext"]
        if not isinstance(text, str):
            raise _MalformedError("its 'ciphertext' field is not text")
        ciphertext = base64.b64decode(text.encode("ascii"), validate=True)
    except (_MalformedError, UnicodeEncodeError, binascii.Error) as exc:
        raise InvalidExportError(f"the encryption header is damaged ({exc})") from None
    if not passphrase:
        raise ExportPassphraseError(
            "This export is encrypted: a passphrase is needed to import it. Nothing was imported."
        )
    key = derivation.derive(passphrase)
    try:
        header = {name: envelope[name] for name in ("format", "version", "cipher", "kdf")}
        return AESGCM(key).decrypt(nonce, ciphertext, _associated_data(header))
    except InvalidTag:
        if secrets.compare_digest(kek_check(key), check):
            raise InvalidExportError(
                "the encrypted file was changed or damaged after it was written "
                "(the passphrase is right, but the content fails its authentication)"
            ) from None
        raise ExportPassphraseError(
            "That passphrase does not open this encrypted export. Nothing was imported."
        ) from None


# -- Markdown ----------------------------------------------------------------------------------


def to_markdown(conversation: Conversation, branch: Sequence[Message]) -> str:
    """One conversation's shown branch as Markdown: the title, then each message under
    **User** or **Assistant** (with the model that answered). The text goes in as it is:
    models answer in Markdown already."""
    title = " ".join(conversation.title.split()) or "Untitled conversation"
    lines = [f"# {title}", ""]
    started = conversation.created.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    about = f"Exported from NextHub. Started {started}"
    if conversation.model:
        about += f"; model: {conversation.model}"
    lines += [f"*{about}.*", ""]
    if conversation.system_prompt:
        lines += ["**System prompt**", "", conversation.system_prompt, ""]
    for message in branch:
        lines += [_markdown_heading(message), "", message.content, ""]
        if not message.complete:
            lines += ["*(unfinished answer)*", ""]
        elif message.finish_reason not in (None, "stop"):
            lines += [f"*(the answer stopped early: {message.finish_reason})*", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def _markdown_heading(message: Message) -> str:
    if message.role == "user":
        return "**User**"
    if message.role == "system":
        return "**System**"
    return f"**Assistant** ({message.model})" if message.model else "**Assistant**"
