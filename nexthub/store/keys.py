"""The database key: 256 random bits, never on disk in the clear.

The encrypted database (SQLCipher) is opened with a 32-byte key made once, on
first run, with :func:`secrets.token_bytes`. On disk there is only that key
wrapped with AES-256-GCM under a key-encryption key (KEK), in one small JSON
file, ``database-key.json`` in the data folder. The KEK comes from one of:

- **the OS keyring** (``keyring``; the default where one exists): a random
  256-bit KEK in the keyring under service ``NextHub``. The keyring backend's
  name is recorded, so a changed backend stops with a recovery message instead
  of looking like a lost key.
- **a passphrase**: Argon2id (or scrypt where Argon2id is missing), with the
  parameters and salt recorded beside the wrapped key.
- **a key file** (``database-key-<id>.kek`` in the config folder, 0600), only as
  an explicit, visible choice. It is weaker than the other two: the KEK sits in
  a plain file, so anyone and anything that can read the user's files (another
  program of theirs, a backup of the home folder, a stolen unencrypted disk) can
  read the chats. It protects only a copy of the database made without it.

The wrapped-key file lives in the data folder, beside the database it opens:
the two are one thing (a database without its wrapped key is noise), so they are
moved and backed up together, and "restore the data folder" brings back both.
The key file goes to the config folder, so that a backup of the data folder
alone does not carry the KEK along with the key it unlocks.

``NEXTHUB_PASSPHRASE`` is the non-interactive passphrase for a headless server,
and on first run with no keyring it also chooses passphrase protection. Its
risks: a process's environment can be read by other processes of the same user
(``/proc/PID/environ``) and by root, it is easily left in shell history
(``export NEXTHUB_PASSPHRASE=...``) and in world-readable systemd unit files
(``Environment=``), and it is inherited by every child process. Prefer a
keyring; on a server, put it in a root-owned ``EnvironmentFile=`` with mode
0600, or a credential (systemd ``LoadCredential=``) read into the variable by a
wrapper. See docs/KEYS.md.

Secrets are plain ``bytes``/``str``: CPython gives no reliable way to zero
memory (immutable objects, copies made by the interpreter and by OpenSSL's
bindings), so this module does not pretend to. It keeps secrets out of files
(except the key file the user chose), logs, exception messages and reprs.

Unwrapping here, before SQLCipher sees the key, is what tells a wrong
passphrase (the check value differs) from a damaged key file (the AES-GCM tag
fails with the right KEK) from a damaged database (SQLCipher's "file is not a
database" with a key that unwrapped correctly).
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import keyring
import keyring.backend

from nexthub.paths import AppPaths
from nexthub.store.key_errors import (
    DamagedKeyError,
    KeyAlreadyExistsError,
    KeyMissingError,
    KeyringEntryMissingError,
    KeyringUnavailableError,
    KeySetupNeededError,
    PassphraseRequiredError,
    StoreKeyError,
    UnsupportedKeyFormatError,
    WrongPassphraseError,
)
from nexthub.store.key_files import leftovers, remove, write_private
from nexthub.store.key_format import (
    KEY_FILE_PREFIX,
    KEY_FILE_SUFFIX,
    NONCE_BYTES,
    KekMismatchError,
    KeyProtection,
    WrappedKey,
    parse,
    unwrap,
    wrap,
)
from nexthub.store.key_kdf import (
    KEY_BYTES,
    SALT_BYTES,
    Argon2idParams,
    KdfParams,
    PassphraseKdf,
    ScryptParams,
    default_kdf,
)
from nexthub.store.key_keyring import (
    delete_entry,
    entry_error,
    fetch_kek,
    is_real_keyring,
    store_new_kek,
)

__all__ = [
    "Argon2idParams",
    "DamagedKeyError",
    "KdfParams",
    "KeyAlreadyExistsError",
    "KeyMissingError",
    "KeyProtection",
    "KeySetupNeededError",
    "KeyStore",
    "KeyringEntryMissingError",
    "KeyringUnavailableError",
    "PassphraseRequiredError",
    "ScryptParams",
    "StoreKeyError",
    "UnsupportedKeyFormatError",
    "WrongPassphraseError",
]

log = logging.getLogger(__name__)

PASSPHRASE_ENV = "NEXTHUB_PASSPHRASE"  # noqa: S105 - the variable's name
WRAPPED_KEY_FILE = "database-key.json"


class KeyStore:
    """The wrapped database key of one NextHub installation.

    ``keyring_backend`` replaces ``keyring.get_keyring()`` (tests, or a caller
    that chose one); ``environ`` replaces ``os.environ`` for NEXTHUB_PASSPHRASE;
    ``kdf`` sets the cost of new passphrase wrappings (tests pass a cheap one;
    the default is not weakened for them). It keeps no state but its settings,
    so one instance may serve several threads; every change ends in one atomic
    file replace, so the file on disk is always a complete wrapping whose KEK
    exists.
    """

    def __init__(
        self,
        paths: AppPaths,
        *,
        keyring_backend: keyring.backend.KeyringBackend | None = None,
        environ: Mapping[str, str] | None = None,
        kdf: KdfParams | None = None,
    ) -> None:
        self._paths = paths
        self._file = paths.data / WRAPPED_KEY_FILE
        self._backend_override = keyring_backend
        self._environ = environ
        self._kdf = kdf

    def __repr__(self) -> str:
        return f"KeyStore(file={str(self._file)!r})"

    # -- What is there -----------------------------------------------------------------------

    def exists(self) -> bool:
        """Whether a wrapped key is on disk (readable or not)."""
        return self._file.exists()

    def protection(self) -> KeyProtection | None:
        """The recorded protection; None before the first run. Damage raises."""
        return self._read().protection if self.exists() else None

    def keyring_available(self) -> bool:
        """Whether a real OS keyring is there (not keyring's "fail" or "null" backends)."""
        try:
            return is_real_keyring(self._keyring())
        except Exception:  # a broken keyring configuration is no keyring
            log.debug("no usable keyring backend", exc_info=True)
            return False

    def locations(self) -> list[Path]:
        """Every file this module writes: the wrapped key (even before it exists), any key
        file, and temporary files a crash left behind."""
        config = self._paths.config
        key_files = (
            sorted(config.glob(f"{KEY_FILE_PREFIX}*{KEY_FILE_SUFFIX}")) if config.is_dir() else []
        )
        found = [self._file, *key_files, *leftovers(self._paths.data), *leftovers(config)]
        return list(dict.fromkeys(found))

    # -- First run -----------------------------------------------------------------------------

    def create(self, protection: KeyProtection, *, passphrase: str | None = None) -> bytes:
        """Make the database key, store it wrapped, and return it. Never replaces a key."""
        if self.exists():
            raise KeyAlreadyExistsError(self._file)
        if protection is not KeyProtection.PASSPHRASE and passphrase is not None:
            raise ValueError("a passphrase only goes with passphrase protection")
        if protection is KeyProtection.PASSPHRASE:
            passphrase = self._passphrase(passphrase, creating=True)
        key = secrets.token_bytes(KEY_BYTES)
        self._store(key, protection, passphrase, overwrite=False)
        log.info("made a new database key (protection: %s)", protection.value)
        return key

    def open_or_create(self, *, passphrase: str | None = None) -> bytes:
        """The key, without asking anyone: unlock it, or on first run make it with the
        keyring, else with the passphrase (argument or NEXTHUB_PASSPHRASE), else
        KeySetupNeededError. The key file is never chosen here: it must be asked for."""
        if self.exists():
            return self.unlock(passphrase=passphrase)
        try:
            if self.keyring_available():
                return self.create(KeyProtection.KEYRING)
            if passphrase or self._environ_passphrase():
                return self.create(KeyProtection.PASSPHRASE, passphrase=passphrase)
        except KeyAlreadyExistsError:  # another process made it a moment ago
            return self.unlock(passphrase=passphrase)
        raise KeySetupNeededError

    # -- Unlock --------------------------------------------------------------------------------

    def unlock(self, *, passphrase: str | None = None) -> bytes:
        """The 32-byte database key. Reads only; nothing on disk changes, whatever happens."""
        record = self._read()
        return self._unwrap(record, passphrase)

    # -- Change, destroy -----------------------------------------------------------------------

    def change_protection(
        self,
        new: KeyProtection,
        *,
        old_passphrase: str | None = None,
        new_passphrase: str | None = None,
    ) -> None:
        """Re-wrap the same key under a new protection (or a new passphrase, or a fresh
        keyring or key-file KEK). The database is not re-encrypted.

        ``old_passphrase`` falls back to NEXTHUB_PASSPHRASE; ``new_passphrase``
        does not: a new passphrase is always given explicitly. The new wrapping
        is verified by unwrapping it again before it replaces the old file, and
        the old keyring entry or key file is removed only after that.
        """
        old = self._read()
        if new is KeyProtection.PASSPHRASE and not new_passphrase:
            raise PassphraseRequiredError(
                "A new passphrase is needed to protect NextHub's database key; none was given. "
                "Nothing was changed on disk."
            )
        if new is not KeyProtection.PASSPHRASE and new_passphrase is not None:
            raise ValueError("a new passphrase only goes with passphrase protection")
        key = self._unwrap(old, old_passphrase)
        self._store(key, new, new_passphrase, overwrite=True)
        self._retire(old)
        log.info("re-wrapped the database key (%s -> %s)", old.protection.value, new.value)

    def destroy(self) -> None:
        """Crypto-shred: delete the wrapped key, every key file and the keyring entry.

        Works on a damaged file too. Files go first, so the database key is gone
        even if the keyring then refuses; that is reported, naming the entry.
        """
        try:
            record = self._read() if self.exists() else None
        except (DamagedKeyError, UnsupportedKeyFormatError):
            record = None
        for path in self.locations():
            remove(path)
        entry = record.keyring if record is not None else None
        if entry is not None and not delete_entry(self._keyring(), entry):
            raise KeyringUnavailableError(
                "NextHub deleted its database key files, so the old chats can no longer be "
                f"opened, but could not delete the keyring entry '{entry.service}' / "
                f"'{entry.username}'. Delete it with your keyring manager (for example "
                "Seahorse, Keychain Access or Credential Manager)."
            )
        log.info("destroyed the database key")

    # -- Inside --------------------------------------------------------------------------------

    def _keyring(self) -> keyring.backend.KeyringBackend:
        if self._backend_override is not None:
            return self._backend_override
        return keyring.get_keyring()

    def _environ_passphrase(self) -> str | None:
        environ = os.environ if self._environ is None else self._environ
        return environ.get(PASSPHRASE_ENV) or None

    def _passphrase(self, given: str | None, *, creating: bool) -> str:
        passphrase = given or self._environ_passphrase()
        if passphrase:
            return passphrase
        raise PassphraseRequiredError(
            (
                "A passphrase is needed to protect NextHub's database key; none was given. "
                if creating
                else "NextHub's database key is protected by a passphrase, and none was given. "
            )
            + f"Enter it when asked, or set {PASSPHRASE_ENV} for a server that starts on its "
            "own (see docs/KEYS.md for the risks). Nothing was changed on disk."
        )

    def _read(self) -> WrappedKey:
        try:
            data = self._file.read_bytes()
        except FileNotFoundError:
            raise KeyMissingError(self._file, "NextHub's database key file") from None
        except OSError as exc:
            raise StoreKeyError(
                f"NextHub cannot read its database key file {self._file}: "
                f"{exc.strerror or type(exc).__name__}. Check its permissions."
            ) from exc
        return parse(data, self._file)

    def _unwrap(self, record: WrappedKey, passphrase: str | None) -> bytes:
        """Get the KEK the record names and unwrap; map a wrong KEK to the right error."""
        if record.protection is KeyProtection.PASSPHRASE:
            assert record.kdf is not None
            from_environment = not passphrase
            kek = record.kdf.derive(self._passphrase(passphrase, creating=False))
            try:
                return unwrap(record, kek, self._file)
            except KekMismatchError:
                raise WrongPassphraseError(from_environment=from_environment) from None
        if record.protection is KeyProtection.KEYRING:
            assert record.keyring is not None
            kek = fetch_kek(self._keyring(), record.keyring)
            try:
                return unwrap(record, kek, self._file)
            except KekMismatchError:
                raise entry_error(
                    record.keyring,
                    "that entry holds a different key (it was replaced)",
                    current_backend=record.keyring.backend,
                ) from None
        assert record.key_file is not None
        path = self._paths.config / record.key_file
        try:
            return unwrap(record, self._key_file_kek(path), self._file)
        except KekMismatchError:
            raise DamagedKeyError(
                path, "it is not the key file that goes with " + str(self._file)
            ) from None

    def _key_file_kek(self, path: Path) -> bytes:
        try:
            kek = path.read_bytes()
        except FileNotFoundError:
            raise KeyMissingError(
                path, "The key file that unlocks NextHub's database key"
            ) from None
        except OSError as exc:
            raise StoreKeyError(
                f"NextHub cannot read its key file {path}: "
                f"{exc.strerror or type(exc).__name__}. Check its permissions."
            ) from exc
        if len(kek) != KEY_BYTES:
            raise DamagedKeyError(path, "it does not hold a key of the right size")
        if os.name == "posix" and path.stat().st_mode & 0o077:
            log.warning("the key file %s can be read by other users; chmod 600 it", path)
        return kek

    def _store(
        self, key: bytes, protection: KeyProtection, passphrase: str | None, *, overwrite: bool
    ) -> WrappedKey:
        """Wrap ``key`` under a new KEK for ``protection``, verify, and write the file.

        Until the file is in place, a new keyring entry or key file made here is
        removed again on failure; the old wrapping is untouched throughout.
        """
        unsealed, kek, undo = self._new_kek(protection, passphrase)
        try:
            record = wrap(key, kek, secrets.token_bytes(NONCE_BYTES), unsealed)
            data = record.to_bytes()
            # Verify through the same path unlock takes: parse the bytes, fetch or
            # derive the KEK again from where it now lives, unwrap, compare.
            if self._unwrap(parse(data, self._file), passphrase) != key:  # pragma: no cover
                raise StoreKeyError(
                    "NextHub could not verify the new key wrapping; nothing changed."
                )
            try:
                write_private(self._file, data, replace=overwrite)
            except FileExistsError:
                raise KeyAlreadyExistsError(self._file) from None
        except BaseException:
            undo()
            raise
        return record

    def _new_kek(
        self, protection: KeyProtection, passphrase: str | None
    ) -> tuple[WrappedKey, bytes, Callable[[], None]]:
        """A fresh KEK put where ``protection`` keeps it, the unsealed record naming it,
        and a function that removes it again."""
        blank = WrappedKey(protection=protection, nonce=b"", ciphertext=b"", kek_check=b"")
        if protection is KeyProtection.PASSPHRASE:
            assert passphrase
            kdf = PassphraseKdf(
                params=self._kdf or default_kdf(), salt=secrets.token_bytes(SALT_BYTES)
            )
            return replace(blank, kdf=kdf), kdf.derive(passphrase), lambda: None
        if protection is KeyProtection.KEY_FILE:
            kek = secrets.token_bytes(KEY_BYTES)
            name = f"{KEY_FILE_PREFIX}{secrets.token_hex(8)}{KEY_FILE_SUFFIX}"
            path = self._paths.config / name
            write_private(path, kek, replace=False)
            return replace(blank, key_file=name), kek, lambda: remove(path)
        entry, kek, undo = store_new_kek(self._keyring())
        return replace(blank, keyring=entry), kek, undo

    def _retire(self, old: WrappedKey) -> None:
        """Remove the old wrapping's KEK, now that the new file is in place."""
        if old.key_file is not None:
            remove(self._paths.config / old.key_file)
        if old.keyring is not None and not delete_entry(self._keyring(), old.keyring):
            # The change itself succeeded; the stale entry opens only old copies of the
            # wrapped-key file. Say so rather than fail.
            log.warning(
                "could not remove the old keyring entry '%s' / '%s'; delete it with your "
                "keyring manager",
                old.keyring.service,
                old.keyring.username,
            )
