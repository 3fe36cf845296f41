"""How the chats' database key is protected, and changing that: the terminal's and the app's.

``nexthub data passphrase`` and the Privacy page offer the same choices with the
same warnings, and a new passphrase must pass the same checks in both, so the
words and the rules live here. The work itself is ``KeyStore.change_protection``:
the same key re-wrapped, the database not re-encrypted.
"""

from __future__ import annotations

from nexthub.errors import NextHubError
from nexthub.store.keys import KeyProtection, KeyStore

KEY_FILE_WARNING = (
    "A key file is weaker than a passphrase or the keyring: the key that opens your chats "
    "will sit in a file in NextHub's config folder, so anyone or anything that can read your "
    "files (another program you run, a backup of your home folder, a stolen laptop without "
    "disk encryption) can read your chats. Use full-disk encryption."
)

_DESCRIPTIONS = {
    KeyProtection.KEYRING: "the system keyring",
    KeyProtection.PASSPHRASE: "a passphrase",
    KeyProtection.KEY_FILE: "a key file in the config folder",
}


def describe_protection(protection: KeyProtection | None) -> str:
    """``"the system keyring"``, ``"a passphrase"``, ... (``"nothing"`` before first run)."""
    return "nothing" if protection is None else _DESCRIPTIONS[protection]


def available_protections(keys: KeyStore) -> list[KeyProtection]:
    """The protections this machine offers: the keyring only where there is a real one."""
    return [p for p in KeyProtection if p is not KeyProtection.KEYRING or keys.keyring_available()]


def check_new_passphrase(first: str, again: str) -> str:
    """The new passphrase, typed twice; NextHubError when it is empty or the two differ."""
    if not first:
        raise NextHubError("The passphrase cannot be empty.")
    if first != again:
        raise NextHubError("The two passphrases differ. Type the same one twice.")
    return first


def change_protection(
    keys: KeyStore,
    target: KeyProtection,
    *,
    old_passphrase: str | None = None,
    new_passphrase: str | None = None,
) -> str:
    """Re-wrap the database key under ``target``; return what changed, for the user.

    A wrong ``old_passphrase`` raises before anything on disk changes.
    """
    old = keys.protection()
    keys.change_protection(target, old_passphrase=old_passphrase, new_passphrase=new_passphrase)
    if target is KeyProtection.PASSPHRASE and old is KeyProtection.PASSPHRASE:
        return "Changed the passphrase of NextHub's chats."
    return (
        f"NextHub's database key is now protected by {describe_protection(target)} "
        f"(it was {describe_protection(old)}). The database itself was not re-encrypted."
    )
