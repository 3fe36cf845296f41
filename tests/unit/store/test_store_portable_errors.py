"""A bad export file is a clear error and imports nothing; so is a wrong export passphrase."""

from __future__ import annotations

import base64
import copy
import json
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from nexthub.paths import AppPaths
from nexthub.store import (
    ChatStore,
    ExportPassphraseError,
    ExportTooNewError,
    InvalidExportError,
    StoreError,
)
from nexthub.store.export_envelope import decrypt, encrypt
from nexthub.store.key_kdf import ScryptParams
from nexthub.store.portable import read_export, to_json

CHEAP = ScryptParams(n=16, r=1, p=1)  # test-only cost, passed explicitly


@pytest.fixture
def store(nexthub_home: Path) -> Iterator[ChatStore]:
    path = AppPaths.from_environment().chats_db_file
    with ChatStore.open(path, secrets.token_bytes(32)) as opened:
        yield opened


def good_document() -> dict[str, Any]:
    """A valid export: one conversation, a question and two answers (a branch)."""
    message = {
        "id": "q",
        "parent_id": None,
        "role": "user",
        "content": "Where to eat?",
        "created": "2025-03-01T09:12:50.100200+00:00",
        "complete": True,
        "model": None,
        "finish_reason": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "time_to_first_token_s": None,
        "prompt_tokens_per_s": None,
        "decode_tokens_per_s": None,
    }
    answer = message | {
        "id": "a1",
        "parent_id": "q",
        "role": "assistant",
        "content": "Pizza",
        "model": "qwen",
        "finish_reason": "stop",
        "prompt_tokens": 12,
        "completion_tokens": 2,
        "time_to_first_token_s": 0.25,
        "prompt_tokens_per_s": 100,
        "decode_tokens_per_s": 20.5,
    }
    return {
        "format": "nexthub-chats",
        "version": 1,
        "exported_by": "NextHub 0.1.0",
        "conversations": [
            {
                "id": "c1",
                "title": "Trip",
                "created": "2025-03-01T09:12:44.512301+00:00",
                "updated": "2025-03-01T11:14:02+02:00",
                "model": "qwen",
                "system_prompt": "",
                "sampling": {"temperature": 0.7},
                "pinned": False,
                "archived": True,
                "active_leaf_id": "a2",
                "messages": [message, answer, answer | {"id": "a2", "content": "Sushi"}],
            }
        ],
    }


def encode(document: Any) -> bytes:
    return json.dumps(document).encode("utf-8")


def test_the_good_document_imports(store: ChatStore) -> None:
    (dump,) = read_export(encode(good_document()))
    assert dump.conversation.updated.isoformat() == "2025-03-01T09:14:02+00:00"  # now UTC
    assert dump.messages[1].prompt_tokens_per_s == 100.0
    store.restore_conversations([dump])
    assert [m.content for m in store.current_branch("c1")] == ["Where to eat?", "Sushi"]
    # A hand-written file without exported_by is fine too.
    document = good_document()
    del document["exported_by"]
    assert read_export(encode(document)) == [dump]


def conversation(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["conversations"][0]
    return result


def message(doc: dict[str, Any], index: int = 0) -> dict[str, Any]:
    result: dict[str, Any] = conversation(doc)["messages"][index]
    return result


Change = Callable[[dict[str, Any]], Any]

BAD_DOCUMENTS: dict[str, tuple[Change, str]] = {
    "top level a list": (lambda d: [d], "'format'"),
    "another format": (lambda d: d | {"format": "chatgpt"}, "'format'"),
    "version as text": (lambda d: d | {"version": "1"}, "whole number"),
    "version 0": (lambda d: d | {"version": 0}, "version 0"),
    "no conversations": (lambda d: {k: v for k, v in d.items() if k != "conversations"}, "lacks"),
    "unknown top-level field": (lambda d: d | {"extra": 1}, "unknown fields"),
    "conversations not a list": (lambda d: d | {"conversations": {}}, "not a list"),
    "conversation not an object": (lambda d: d | {"conversations": [1]}, "not a JSON object"),
    "conversation lacks its title": (lambda d: conversation(d).pop("title"), "lacks 'title'"),
    "message lacks its content": (lambda d: message(d).pop("content"), "lacks 'content'"),
    "message has an unknown field": (lambda d: message(d).update(mood="happy"), "unknown"),
    "empty id": (lambda d: conversation(d).update(id=""), "non-empty id"),
    "pinned as text": (lambda d: conversation(d).update(pinned="yes"), "'pinned'"),
    "sampling not an object": (lambda d: conversation(d).update(sampling=[1]), "'sampling'"),
    "title a number": (lambda d: conversation(d).update(title=5), "'title' must be text"),
    "unknown role": (lambda d: message(d).update(role="robot"), "'role'"),
    "unknown finish reason": (lambda d: message(d, 1).update(finish_reason="bored"), "finish"),
    "tokens as a float": (lambda d: message(d, 1).update(prompt_tokens=1.5), "whole number"),
    "tokens as a boolean": (lambda d: message(d, 1).update(prompt_tokens=True), "whole number"),
    "tokens too big": (lambda d: message(d, 1).update(prompt_tokens=2**63), "64-bit"),
    "timing as text": (lambda d: message(d, 1).update(decode_tokens_per_s="fast"), "number"),
    "timing too big": (lambda d: message(d, 1).update(decode_tokens_per_s=10**400), "number"),
    "time without offset": (
        lambda d: message(d).update(created="2025-03-01T09:12:50"),
        "UTC offset",
    ),
    "time not a time": (lambda d: conversation(d).update(created="yesterday"), "ISO 8601"),
    "lone surrogate": (lambda d: message(d).update(content="bad \ud800"), "surrogates"),
    "missing parent": (lambda d: message(d, 1).update(parent_id="nowhere"), "parent"),
    "parent listed after its child": (
        lambda d: conversation(d)["messages"].reverse(),
        "parent",
    ),
    "a message its own parent": (lambda d: message(d).update(parent_id="q"), "parent"),
    "duplicate message id": (lambda d: message(d, 2).update(id="a1"), "same id"),
    "duplicate conversation id": (
        lambda d: d["conversations"].append(
            copy.deepcopy(conversation(d)) | {"messages": [], "active_leaf_id": None}
        ),
        "same id",
    ),
    "message id reused in another conversation": (
        lambda d: d["conversations"].append(
            copy.deepcopy(conversation(d)) | {"id": "c2", "active_leaf_id": None}
        ),
        "same id",
    ),
    "active leaf not in the conversation": (
        lambda d: conversation(d).update(active_leaf_id="elsewhere"),
        "active_leaf_id",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DOCUMENTS))
def test_a_bad_document_is_a_clear_error(case: str, store: ChatStore) -> None:
    change, phrase = BAD_DOCUMENTS[case]
    document = good_document()
    changed = change(document)
    if isinstance(changed, dict | list):  # a change that returns the new document
        document = changed  # type: ignore[assignment]
    data = json.dumps(document).encode("utf-8", "surrogatepass")
    with pytest.raises(InvalidExportError, match="Nothing was imported") as caught:
        read_export(data)
    assert phrase in str(caught.value)
    assert "Where to eat" not in str(caught.value)  # errors never quote chat text
    assert store.count_conversations(archived=None) == 0


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b'{"format": "nexthub-chats", ', b"\xff\xfe\x00", b"[" * 100_000],
    ids=["empty", "text", "cut short", "not UTF-8", "deeply nested"],
)
def test_a_file_that_is_not_json_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(InvalidExportError, match="not valid JSON"):
        read_export(data)


def test_a_newer_version_says_to_update() -> None:
    with pytest.raises(ExportTooNewError, match="newer version of NextHub"):
        read_export(encode(good_document() | {"version": 2}))


def test_non_finite_and_nan_values_are_refused() -> None:
    document = good_document()
    message(document, 1)["decode_tokens_per_s"] = float("nan")
    with pytest.raises(InvalidExportError, match="number"):
        read_export(json.dumps(document).encode())
    document = good_document()
    conversation(document)["sampling"] = {"t": float("inf")}
    with pytest.raises(InvalidExportError, match="sampling"):
        read_export(json.dumps(document).encode())


def test_an_infinite_timing_in_the_store_is_exported_as_null(store: ChatStore) -> None:
    chat = store.create_conversation("c")
    question = store.add_message(chat.id, "user", "q", parent_id=None)
    answer = store.start_answer(chat.id, question.id, "m")
    store.finish_answer(answer, "stop", text="a", decode_tokens_per_s=float("inf"))
    (dump,) = read_export(to_json(store.export_conversations()))
    assert dump.messages[1].decode_tokens_per_s is None


# -- The encrypted envelope -------------------------------------------------------------------


def sealed() -> bytes:
    return encrypt(encode(good_document()), "right", kdf=CHEAP)


def test_the_envelope_hides_the_content() -> None:
    data = sealed()
    assert b"Where to eat" not in data
    assert b"Trip" not in data
    assert json.loads(data)["format"] == "nexthub-chats-encrypted"
    assert read_export(data, lambda: "right") == read_export(encode(good_document()))


def test_a_wrong_passphrase_is_a_clear_error(store: ChatStore) -> None:
    with pytest.raises(ExportPassphraseError, match="does not open this encrypted export"):
        read_export(sealed(), lambda: "wrong")
    assert store.count_conversations(archived=None) == 0


def test_an_encrypted_export_without_a_passphrase_asks_for_one() -> None:
    with pytest.raises(ExportPassphraseError, match="passphrase is needed"):
        read_export(sealed())
    with pytest.raises(ExportPassphraseError, match="passphrase is needed"):
        decrypt(sealed(), "")
    with pytest.raises(ExportPassphraseError):
        encrypt(b"{}", "")


def test_the_passphrase_is_normalised() -> None:
    data = encrypt(b"{}", unicodedata.normalize("NFD", "café"), kdf=CHEAP)
    assert decrypt(data, unicodedata.normalize("NFC", "café")) == b"{}"


def tampered(field: str, change: Callable[[bytes], bytes]) -> bytes:
    envelope = json.loads(sealed())
    raw = base64.b64decode(envelope[field])
    envelope[field] = base64.b64encode(change(raw)).decode("ascii")
    return json.dumps(envelope).encode()


def flip_last_bit(raw: bytes) -> bytes:
    return raw[:-1] + bytes([raw[-1] ^ 1])


@pytest.mark.parametrize("field", ["ciphertext", "nonce"])
def test_a_damaged_envelope_is_told_from_a_wrong_passphrase(field: str) -> None:
    with pytest.raises(InvalidExportError, match="changed or damaged"):
        read_export(tampered(field, flip_last_bit), lambda: "right")


def test_a_changed_header_fails_authentication() -> None:
    envelope = json.loads(sealed())
    envelope["kdf"]["n"] = 32  # a different KDF cost derives a different key
    with pytest.raises(StoreError):
        read_export(json.dumps(envelope).encode(), lambda: "right")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda e: e | {"version": 2}, ExportTooNewError),
        (lambda e: e | {"cipher": "rot13"}, InvalidExportError),
        (lambda e: e | {"extra": 1}, InvalidExportError),
        (lambda e: e | {"kdf": {"name": "md5"}}, InvalidExportError),
        (lambda e: e | {"nonce": "not base64!"}, InvalidExportError),
        (lambda e: e | {"ciphertext": 5}, InvalidExportError),
    ],
)
def test_a_malformed_envelope_is_a_clear_error(
    change: Callable[[dict[str, Any]], dict[str, Any]], error: type[Exception]
) -> None:
    data = json.dumps(change(json.loads(sealed()))).encode()
    with pytest.raises(error):
        read_export(data, lambda: "right")


def test_the_envelope_opens_as_documented_without_nexthub() -> None:
    """docs/EXPORT_FORMAT.md's recipe: only `cryptography`, nothing of NextHub."""
    passphrase = "ünïcode passphrase"
    plain = encode(good_document())
    envelope = json.loads(encrypt(plain, passphrase, kdf=CHEAP))
    k = envelope["kdf"]
    key = Scrypt(salt=base64.b64decode(k["salt"]), length=32, n=k["n"], r=k["r"], p=k["p"]).derive(
        unicodedata.normalize("NFC", passphrase).encode()
    )
    header = {f: envelope[f] for f in ("format", "version", "cipher", "kdf")}
    aad = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    opened = AESGCM(key).decrypt(
        base64.b64decode(envelope["nonce"]), base64.b64decode(envelope["ciphertext"]), aad
    )
    assert opened == plain
