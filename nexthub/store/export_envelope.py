"""The passphrase envelope of an encrypted export (format in docs/EXPORT_FORMAT.md).

The export's bytes are sealed with AES-256-GCM under a key derived from the
passphrase with the same KDF as the database key (Argon2id, else scrypt); the
header (format, version, cipher, KDF parameters) is the associated data, so
changing any of it fails authentication. A check value tells a wrong
passphrase apart from a damaged file.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nexthub.store.export_errors import (
    ExportPassphraseError,
    ExportTooNewError,
    InvalidExportError,
    load_json,
)
from nexthub.store.key_format import (
    CHECK_BYTES,
    NONCE_BYTES,
    MalformedFieldError,
    bytes_field,
    kek_check,
    parse_kdf,
)
from nexthub.store.key_kdf import SALT_BYTES, KdfParams, PassphraseKdf, default_kdf

ENCRYPTED_FORMAT_NAME = "nexthub-chats-encrypted"
ENCRYPTED_FORMAT_VERSION = 1
CIPHER = "aes-256-gcm"


def is_envelope(document: Any) -> bool:
    """Whether a parsed export file is an encrypted one."""
    return isinstance(document, dict) and document.get("format") == ENCRYPTED_FORMAT_NAME


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
    envelope = load_json(data, "the encrypted export")
    if not isinstance(envelope, dict) or envelope.get("format") != ENCRYPTED_FORMAT_NAME:
        raise InvalidExportError("it is not an encrypted NextHub export")
    return open_envelope(envelope, passphrase)


def open_envelope(envelope: dict[str, Any], passphrase: str) -> bytes:
    """The export sealed in an already-parsed envelope."""
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
        derivation = parse_kdf(envelope["kdf"])
        nonce = bytes_field(envelope, "nonce", NONCE_BYTES)
        check = bytes_field(envelope, "check", CHECK_BYTES)
        text = envelope["ciphertext"]
        if not isinstance(text, str):
            raise MalformedFieldError("its 'ciphertext' field is not text")
        ciphertext = base64.b64decode(text.encode("ascii"), validate=True)
    except (MalformedFieldError, UnicodeEncodeError, binascii.Error) as exc:
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
