"""The keyring side of the database key: a random KEK kept in the OS keyring.

Each wrapping gets its own entry, ``NextHub`` / ``database-key-kek-<16 hex>``,
so two installations (a portable one on a USB stick and the normal one) never
share or overwrite an entry, and a re-wrap can write the new entry before the
old one is removed. The entry holds the KEK in base64 (keyrings store text).

The backend's class name is recorded beside the wrapped key. If the keyring in
use is not that backend any more (a different desktop, ``keyring`` picked
another, no keyring at all), unlocking stops with a recovery message rather
than treating the key as lost: a new key would lock away the existing chats.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
from collections.abc import Callable
from typing import TypeVar

import keyring
import keyring.backend
from keyring.backends import chainer, fail, null

from nexthub.store.key_errors import KeyringEntryMissingError, KeyringUnavailableError
from nexthub.store.key_format import KEYRING_SERVICE, KEYRING_USERNAME_PREFIX, KeyringEntry
from nexthub.store.key_kdf import KEY_BYTES

log = logging.getLogger(__name__)

T = TypeVar("T")


def is_real_keyring(backend: keyring.backend.KeyringBackend) -> bool:
    """Whether ``backend`` keeps secrets (keyring's "fail" and "null" backends do not)."""
    if isinstance(backend, chainer.ChainerBackend):
        return any(is_real_keyring(b) for b in backend.backends)
    return not isinstance(backend, fail.Keyring | null.Keyring)


def backend_name(backend: keyring.backend.KeyringBackend) -> str:
    """A stable name for the backend that really holds entries (a chainer's first)."""
    if isinstance(backend, chainer.ChainerBackend):
        real = [b for b in backend.backends if is_real_keyring(b)]
        if real:
            backend = real[0]
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def keyring_call(call: Callable[[], T]) -> T:
    """Run a keyring operation; any failure of the keyring becomes KeyringUnavailableError."""
    try:
        return call()
    except Exception as exc:  # backends raise their own types (D-Bus, Win32, macOS, ...)
        raise KeyringUnavailableError(
            f"NextHub could not use the system keyring ({type(exc).__name__}). Unlock the "
            "keyring (log in to the desktop session) and try again. Nothing was changed on disk."
        ) from exc


def fetch_kek(backend: keyring.backend.KeyringBackend, entry: KeyringEntry) -> bytes:
    """The KEK in ``entry``; KeyringEntryMissingError if it or its backend is gone."""
    current = backend_name(backend) if is_real_keyring(backend) else None
    if current != entry.backend:
        now = f"the keyring in use now is {current}" if current else "no keyring is in use now"
        raise entry_error(entry, now, current_backend=current)
    value = keyring_call(lambda: backend.get_password(entry.service, entry.username))
    if value is None:
        raise entry_error(
            entry, "that entry is not in the keyring any more", current_backend=current
        )
    try:
        kek = base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        kek = b""
    if len(kek) != KEY_BYTES:
        raise entry_error(
            entry, "that entry holds something that is not NextHub's key", current_backend=current
        )
    return kek


def entry_error(
    entry: KeyringEntry, problem: str, *, current_backend: str | None
) -> KeyringEntryMissingError:
    """The recovery error for ``entry``; ``current_backend`` is the one in use now (or None)."""
    return KeyringEntryMissingError(
        service=entry.service,
        username=entry.username,
        recorded_backend=entry.backend,
        current_backend=current_backend,
        problem=problem,
    )


def store_new_kek(
    backend: keyring.backend.KeyringBackend,
) -> tuple[KeyringEntry, bytes, Callable[[], None]]:
    """A fresh random KEK in a new entry; the entry, the KEK, and how to remove it again."""
    if not is_real_keyring(backend):
        raise KeyringUnavailableError(
            "There is no system keyring on this computer to keep NextHub's key in. Choose a "
            "passphrase instead (or, explicitly, a key file). Nothing was changed on disk."
        )
    entry = KeyringEntry(
        backend=backend_name(backend),
        service=KEYRING_SERVICE,
        username=f"{KEYRING_USERNAME_PREFIX}{secrets.token_hex(8)}",
    )
    kek = secrets.token_bytes(KEY_BYTES)
    value = base64.b64encode(kek).decode("ascii")
    keyring_call(lambda: backend.set_password(entry.service, entry.username, value))

    def undo() -> None:
        if not delete_entry(backend, entry):
            log.warning("could not remove the unused keyring entry %s", entry.username)

    return entry, kek, undo


def delete_entry(backend: keyring.backend.KeyringBackend, entry: KeyringEntry) -> bool:
    """Delete ``entry``; True if it is gone now (deleted, or was never there).

    Backends differ in what they raise for a missing entry, so success is judged
    by looking again afterwards, not by the exception.
    """
    try:
        backend.delete_password(entry.service, entry.username)
    except Exception:
        log.debug("deleting keyring entry %s raised", entry.username, exc_info=True)
    try:
        return backend.get_password(entry.service, entry.username) is None
    except Exception:  # the keyring refused or is unreachable
        log.debug("checking keyring entry %s failed", entry.username, exc_info=True)
        return False
