"""Open the encrypted chat store: unlock its key, then the database.

The order matters. The wrapped key is unwrapped first, so a wrong passphrase
is told apart from a damaged database (SQLCipher answers both with "file is
not a database"). And if the database exists but its key does not, that is
an error with a recovery message, never a reason to make a new key over the
existing data.
"""

from __future__ import annotations

from nexthub.paths import AppPaths
from nexthub.store import ChatStore
from nexthub.store.keys import KeyProtection, KeyStore


def open_chat_store(
    paths: AppPaths,
    *,
    passphrase: str | None = None,
    first_run_protection: KeyProtection | None = None,
    key_store: KeyStore | None = None,
) -> ChatStore:
    """The chat store, unlocked; created on first run.

    ``passphrase`` (else ``NEXTHUB_PASSPHRASE``) unlocks passphrase protection.
    On first run ``first_run_protection`` chooses how the new key is protected;
    without it the keyring is used where there is one, else the passphrase,
    else :class:`~nexthub.store.keys.KeySetupNeededError` asks the face to let
    the user choose. Answers a previous run left streaming (a crash) are closed
    as "interrupted", keeping their text.
    """
    keys = key_store or KeyStore(paths)
    database = paths.chats_db_file
    if keys.exists() or database.exists():
        key = keys.unlock(passphrase=passphrase)  # a missing key here is an error, never new
    elif first_run_protection is not None:
        key = keys.create(first_run_protection, passphrase=passphrase)
    else:
        key = keys.open_or_create(passphrase=passphrase)
    paths.ensure()
    store = ChatStore.open(database, key)
    for answer in store.unfinished_answers():
        store.finish_answer(answer.id, "interrupted")
    return store
