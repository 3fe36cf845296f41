"""The errors of the database key (``keys.py``), each with a message for the user.

Every one of them leaves the files on disk as they were: reading, checking and
unwrapping the key never writes, and a failed change of protection stops before
the wrapped key is replaced. So every message can say "nothing was changed".

No message holds a secret: not the database key, not a key-encryption key, not
a passphrase. They name files, keyring entries and keyring backends, which are
not secret.
"""

from __future__ import annotations

from pathlib import Path

from nexthub.errors import NextHubError

_NOTHING_CHANGED = "Nothing was changed on disk."
_WIPE = "To give up the old chats and start again with an empty store, run `nexthub data wipe`."


class StoreKeyError(NextHubError):
    """The database key could not be made, unlocked, re-protected or removed."""


class WrongPassphraseError(StoreKeyError):
    """The passphrase does not open the wrapped key (its check value does not match)."""

    def __init__(self, *, from_environment: bool) -> None:
        where = (
            " It came from the NEXTHUB_PASSPHRASE environment variable: check its value."
            if from_environment
            else " Check Caps Lock and the keyboard layout, and try again."
        )
        super().__init__(
            "That passphrase does not open NextHub's database key." + where + " " + _NOTHING_CHANGED
        )


class PassphraseRequiredError(StoreKeyError):
    """A passphrase is needed and none was given (nor set in NEXTHUB_PASSPHRASE)."""


class DamagedKeyError(StoreKeyError):
    """The wrapped-key file (or the key file) cannot be read, or fails its authentication."""

    def __init__(self, file: Path, problem: str) -> None:
        self.file = file
        super().__init__(
            f"NextHub's database key file {file} is damaged: {problem}. {_NOTHING_CHANGED} "
            "Without this key the chats cannot be read: restore the file from a backup "
            f"made while NextHub could still open it (copy it back to the same place). {_WIPE}"
        )


class UnsupportedKeyFormatError(StoreKeyError):
    """The wrapped-key file was written by a newer NextHub, or needs a missing algorithm."""


class KeyMissingError(StoreKeyError):
    """A file the key needs is gone: the wrapped-key file itself, or the key file."""

    def __init__(self, file: Path, what: str) -> None:
        self.file = file
        super().__init__(
            f"{what} is missing: {file}. NextHub did not make a new key, because that "
            f"would lock away the existing chats for good. {_NOTHING_CHANGED} To recover, "
            f"copy the file back to that place from a backup. {_WIPE}"
        )


class KeyringEntryMissingError(StoreKeyError):
    """Protection is "keyring" but the entry is gone, changed, or the keyring backend changed.

    A recovery message, never a reason to make a new key: a new key over an
    existing database would make every chat in it unreadable for good.
    """

    def __init__(
        self,
        *,
        service: str,
        username: str,
        recorded_backend: str,
        current_backend: str | None,
        problem: str,
    ) -> None:
        self.service = service
        self.username = username
        switch_back = (
            f" If the keyring changed, switch back to the one NextHub used: for example set "
            f"PYTHON_KEYRING_BACKEND={recorded_backend} in the environment."
            if current_backend != recorded_backend
            else ""
        )
        super().__init__(
            f"NextHub's database key is locked by a key kept in the system keyring "
            f"({recorded_backend}) under service '{service}', account '{username}', "
            f"but {problem}. NextHub did not make a new key and changed nothing on disk: "
            "your chats are still there, locked. To recover: log in as "
            "the same user on the same computer and unlock the keyring, or restore the keyring "
            f"from a backup, then start NextHub again.{switch_back} If this data folder was "
            "copied from another computer, its key stayed in that computer's keyring: on that "
            "computer, run `nexthub data passphrase` to protect the key with a passphrase "
            "instead, then copy the folder again. There is no other copy of this key: if the "
            f"keyring entry cannot be restored, the chats cannot be read. {_WIPE}"
        )


class KeyringUnavailableError(StoreKeyError):
    """The keyring could not be used at all (locked, no keyring service, refused)."""


class KeySetupNeededError(StoreKeyError):
    """First run with no keyring and no passphrase: the user must choose a protection."""

    def __init__(self) -> None:
        super().__init__(
            "NextHub encrypts your chats with a key that it must keep safe, and this computer "
            "has no system keyring to keep it in. Choose a passphrase: run `nexthub data "
            "passphrase`, or for a server that starts on its own set NEXTHUB_PASSPHRASE in its "
            "environment (read docs/KEYS.md first: other programs of the same user can see "
            "it). Or choose, explicitly, a key file instead of a passphrase: it needs no typing, "
            "but anyone who can read your files can then read your chats."
        )


class KeyAlreadyExistsError(StoreKeyError):
    """``create`` was asked for a key where one already exists; it never replaces one."""

    def __init__(self, file: Path) -> None:
        self.file = file
        super().__init__(
            f"NextHub already has a database key ({file}) and will not replace it: a new key "
            "would make the existing chats unreadable. To change how the key is protected, "
            f"run `nexthub data passphrase`. {_WIPE}"
        )
