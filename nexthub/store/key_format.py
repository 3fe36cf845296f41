"""The wrapped database key: its JSON file, and AES-256-GCM wrapping and unwrapping.

One small JSON document holds the database key, encrypted ("wrapped") with
AES-256-GCM under a key-encryption key (KEK), and everything needed to get that
KEK back: the protection in use, and the KDF and its parameters (passphrase),
the keyring backend and entry (keyring), or the key file's name (key file).

Every field except the nonce, the ciphertext and the check value is
authenticated: the canonical JSON of those fields is AES-GCM's associated data,
so changing any of them (swapping the protection, say) fails the tag.

``kek_check`` is an HMAC of the KEK, stored so that a failed tag can be told
apart: check matches, so the KEK is right and the wrapped bytes were changed
(damaged); check does not match, so the KEK is wrong (wrong passphrase). For a
passphrase this gives an attacker with the file nothing the tag did not already
give: both need the full KDF per guess. It is left out of the associated data so
that damage to the check alone never stops a right passphrase from working.

``checksum`` is a plain SHA-256 of all the other fields. It is no defence
against a deliberate edit (anyone can recompute it) but it catches accidental
damage, such as a flipped bit in the salt or the KDF parameters, which would
otherwise derive a different KEK and read as a wrong passphrase forever.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nexthub.store.key_errors import DamagedKeyError, UnsupportedKeyFormatError
from nexthub.store.key_kdf import (
    KEY_BYTES,
    SALT_BYTES,
    Argon2idParams,
    KdfParams,
    PassphraseKdf,
    ScryptParams,
)

FORMAT_NAME = "nexthub-wrapped-database-key"
FORMAT_VERSION = 1
CIPHER = "aes-256-gcm"
NONCE_BYTES = 12
TAG_BYTES = 16
CHECK_BYTES = 16
KEYRING_SERVICE = "NextHub"
KEYRING_USERNAME_PREFIX = "database-key-kek-"
KEY_FILE_PREFIX = "database-key-"
KEY_FILE_SUFFIX = ".kek"
_ID = "[0-9a-f]{16}"
# Strict shapes for the names a file points at: a tampered file must not make
# NextHub read or delete some other keyring entry or file of the user's.
_KEYRING_USERNAME = re.compile(re.escape(KEYRING_USERNAME_PREFIX) + _ID + r"\Z")
_KEY_FILE_NAME = re.compile(re.escape(KEY_FILE_PREFIX) + _ID + re.escape(KEY_FILE_SUFFIX) + r"\Z")
MAX_FILE_BYTES = 64 * 1024  # a real one is under 1 KiB
_CHECK_LABEL = b"NextHub key-encryption key check v1"


class KeyProtection(StrEnum):
    """What the database key is wrapped with."""

    KEYRING = "keyring"
    PASSPHRASE = "passphrase"  # noqa: S105 - a name, not a password
    KEY_FILE = "key-file"


@dataclass(frozen=True)
class KeyringEntry:
    """Where the KEK sits in the OS keyring, and through which backend it was stored."""

    backend: str
    service: str
    username: str


@dataclass(frozen=True)
class WrappedKey:
    """The parsed wrapped-key file. It holds no secret: the KEK is needed to unwrap it."""

    protection: KeyProtection
    nonce: bytes
    ciphertext: bytes
    kek_check: bytes
    kdf: PassphraseKdf | None = None
    keyring: KeyringEntry | None = None
    key_file: str | None = None

    def header(self) -> dict[str, Any]:
        """Every authenticated field, as written to the file."""
        header: dict[str, Any] = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "protection": self.protection.value,
            "cipher": CIPHER,
        }
        if self.kdf is not None:
            header["kdf"] = self.kdf.to_json()
        if self.keyring is not None:
            k = self.keyring
            header["keyring"] = {"backend": k.backend, "service": k.service, "username": k.username}
        if self.key_file is not None:
            header["key_file"] = self.key_file
        return header

    def associated_data(self) -> bytes:
        """AES-GCM associated data: the canonical JSON of the header."""
        return json.dumps(self.header(), sort_keys=True, separators=(",", ":")).encode("ascii")

    def to_bytes(self) -> bytes:
        """The file's content."""
        document = self.header() | {
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
            "kek_check": _b64(self.kek_check),
        }
        document["checksum"] = checksum(document)
        return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("ascii")


def checksum(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``document`` without its own checksum field."""
    rest = {k: v for k, v in document.items() if k != "checksum"}
    canonical = json.dumps(rest, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


class KekMismatchError(Exception):
    """Internal: this KEK is not the one that wrapped the key (its check value differs)."""


def kek_check(kek: bytes) -> bytes:
    """A value that tells whether a KEK is the right one, without revealing it."""
    return hmac.digest(kek, _CHECK_LABEL, "sha256")[:CHECK_BYTES]


def wrap(key: bytes, kek: bytes, nonce: bytes, unsealed: WrappedKey) -> WrappedKey:
    """``unsealed`` (its header fields) with ``key`` encrypted under ``kek``."""
    partial = WrappedKey(
        protection=unsealed.protection,
        nonce=nonce,
        ciphertext=b"",
        kek_check=kek_check(kek),
        kdf=unsealed.kdf,
        keyring=unsealed.keyring,
        key_file=unsealed.key_file,
    )
    ciphertext = AESGCM(kek).encrypt(nonce, key, partial.associated_data())
    return replace(partial, ciphertext=ciphertext)


def unwrap(record: WrappedKey, kek: bytes, file: Path) -> bytes:
    """The database key; :class:`KekMismatchError` for a wrong KEK, DamagedKeyError if changed."""
    if len(kek) != KEY_BYTES:
        raise KekMismatchError
    try:
        key = AESGCM(kek).decrypt(record.nonce, record.ciphertext, record.associated_data())
    except InvalidTag:
        if hmac.compare_digest(kek_check(kek), record.kek_check):
            raise DamagedKeyError(
                file,
                "the wrapped key or its recorded settings were changed (it fails authentication)",
            ) from None
        raise KekMismatchError from None
    if len(key) != KEY_BYTES:  # pragma: no cover - the ciphertext length was checked
        raise DamagedKeyError(file, "the wrapped key has the wrong length")
    return key


# -- Parsing: anything unexpected is damage, reported without echoing the content ----------


def parse(data: bytes, file: Path) -> WrappedKey:
    """The wrapped key in ``data``; DamagedKeyError or UnsupportedKeyFormatError otherwise."""
    if len(data) > MAX_FILE_BYTES:
        raise DamagedKeyError(file, "it is far larger than a wrapped key")
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # bad UTF-8 or JSON; numbers too long to convert
        raise DamagedKeyError(file, "it is not valid JSON (it may be cut short)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise DamagedKeyError(file, "it is not a NextHub wrapped-key file")
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise UnsupportedKeyFormatError(
            f"NextHub's database key file {file} was written by a newer version of NextHub "
            f"(format {version}). Update NextHub to open it. Nothing was changed on disk."
        )
    if document.get("checksum") != checksum(document):
        raise DamagedKeyError(file, "its content does not match its checksum (bytes were changed)")
    try:
        return _parse_document({k: v for k, v in document.items() if k != "checksum"})
    except MalformedFieldError as exc:
        raise DamagedKeyError(file, str(exc)) from None


class MalformedFieldError(Exception):
    """A description of what is wrong, naming fields but never quoting values."""


_COMMON = {"format", "version", "protection", "cipher", "nonce", "ciphertext", "kek_check"}
_SPECIFIC = {
    KeyProtection.PASSPHRASE: "kdf",
    KeyProtection.KEYRING: "keyring",
    KeyProtection.KEY_FILE: "key_file",
}


def _parse_document(doc: dict[str, Any]) -> WrappedKey:
    version = doc.get("version")
    if type(version) is not int or version != FORMAT_VERSION or doc.get("cipher") != CIPHER:
        raise MalformedFieldError("its version or cipher is not one NextHub knows")
    value = doc.get("protection")
    if not isinstance(value, str) or value not in {p.value for p in KeyProtection}:
        raise MalformedFieldError("its 'protection' field is not one NextHub knows")
    protection = KeyProtection(value)
    expected = _COMMON | {_SPECIFIC[protection]}
    if set(doc) != expected:
        raise MalformedFieldError(f"its fields do not match its protection '{protection.value}'")
    record = WrappedKey(
        protection=protection,
        nonce=bytes_field(doc, "nonce", NONCE_BYTES),
        ciphertext=bytes_field(doc, "ciphertext", KEY_BYTES + TAG_BYTES),
        kek_check=bytes_field(doc, "kek_check", CHECK_BYTES),
    )
    if protection is KeyProtection.PASSPHRASE:
        return replace(record, kdf=parse_kdf(doc["kdf"]))
    if protection is KeyProtection.KEYRING:
        return replace(record, keyring=_parse_keyring(doc["keyring"]))
    name = doc["key_file"]
    if not isinstance(name, str) or not _KEY_FILE_NAME.match(name):
        raise MalformedFieldError("its 'key_file' field is not a NextHub key file name")
    return replace(record, key_file=name)


def parse_kdf(kdf: Any) -> PassphraseKdf:
    if not isinstance(kdf, dict):
        raise MalformedFieldError("its 'kdf' field is not an object")
    salt = bytes_field(kdf, "salt", SALT_BYTES)
    fields: dict[str, set[str]] = {
        "argon2id": {"name", "salt", "iterations", "lanes", "memory_kib"},
        "scrypt": {"name", "salt", "n", "r", "p"},
    }
    name = kdf.get("name")
    if not isinstance(name, str) or name not in fields or set(kdf) != fields[name]:
        raise MalformedFieldError(
            "its 'kdf' field names no KDF NextHub knows, or has the wrong fields"
        )
    numbers = {k: v for k, v in kdf.items() if k not in {"name", "salt"}}
    if any(not isinstance(v, int) or isinstance(v, bool) for v in numbers.values()):
        raise MalformedFieldError("its KDF parameters are not whole numbers")
    try:
        params: KdfParams = (
            Argon2idParams(**numbers) if name == "argon2id" else ScryptParams(**numbers)
        )
    except ValueError:
        raise MalformedFieldError("its KDF parameters are out of range") from None
    return PassphraseKdf(params=params, salt=salt)


def _parse_keyring(entry: Any) -> KeyringEntry:
    if not isinstance(entry, dict) or set(entry) != {"backend", "service", "username"}:
        raise MalformedFieldError("its 'keyring' field has the wrong fields")
    backend, service, username = entry["backend"], entry["service"], entry["username"]
    if not isinstance(backend, str) or not backend or len(backend) > 200:
        raise MalformedFieldError("its keyring backend name is not valid")
    if service != KEYRING_SERVICE or not isinstance(username, str):
        raise MalformedFieldError("its keyring entry is not NextHub's")
    if not _KEYRING_USERNAME.match(username):
        raise MalformedFieldError("its keyring entry is not NextHub's")
    return KeyringEntry(backend=backend, service=service, username=username)


def bytes_field(obj: dict[str, Any], name: str, length: int) -> bytes:
    value = obj.get(name)
    if not isinstance(value, str):
        raise MalformedFieldError(f"its '{name}' field is missing or not text")
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise MalformedFieldError(f"its '{name}' field is not valid base64") from None
    if len(raw) != length:
        raise MalformedFieldError(f"its '{name}' field has the wrong length")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
