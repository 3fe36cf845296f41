"""Opening the chat store from the terminal: asking for the passphrase, and the first run.

Every command that reads or writes chats opens the store with
:func:`open_store_for_cli`. The passphrase comes from ``NEXTHUB_PASSPHRASE``
when it is set (a script, a server), else it is asked for with ``getpass``
when standard input is a terminal; with neither, the store's own error says
what to do. Prompts and explanations go to standard error (and ``getpass``
to the terminal), so standard output stays clean for ``data export``.

On the first run on a machine with no keyring and no ``NEXTHUB_PASSPHRASE``,
the user is told why a passphrase is needed and asked for a new one, twice.
The weaker key file is never chosen for them: ``nexthub data passphrase --to
key-file`` is how to ask for it.
"""

from __future__ import annotations

import getpass
import os
import sys

from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.key_protection import check_new_passphrase
from nexthub.service.store_access import open_chat_store
from nexthub.store import ChatStore
from nexthub.store.keys import (
    PASSPHRASE_ENV,
    KeyProtection,
    KeySetupNeededError,
    KeyStore,
    PassphraseRequiredError,
    WrongPassphraseError,
)

#: How many times a passphrase is asked for before giving up.
TRIES = 3

FIRST_RUN_EXPLANATION = """\
NextHub keeps your chats in an encrypted database on this computer. Its key must
itself be locked away, and this computer has no system keyring to keep it in, so
choose a passphrase: you will type it whenever NextHub opens your chats. If you
lose it, the chats cannot be recovered.

(A server that starts on its own can set NEXTHUB_PASSPHRASE instead; see
docs/KEYS.md for its risks. Or, instead of a passphrase, press Ctrl-C and run
`nexthub data passphrase --to key-file` for a key file: no typing, but anyone
who can read your files can then read your chats.)
"""


class NoChatsYetError(NextHubError):
    """There is no chat database (and no key) yet, and the command does not make one."""

    def __init__(self, paths: AppPaths) -> None:
        super().__init__(
            f"NextHub has no chats here yet (no chat database in {paths.data}). "
            "Start one with `nexthub chat`."
        )


def on_terminal() -> bool:
    """Whether a person can be asked: standard input is a terminal."""
    return sys.stdin.isatty()


def ask_new_passphrase(what: str) -> str:
    """A new passphrase typed twice at the terminal (NextHubError if not on one)."""
    if not on_terminal():
        raise NextHubError(
            f"A new passphrase for {what} must be typed at a terminal, and standard input "
            "is not one. Nothing was changed."
        )
    for _ in range(TRIES):
        first = getpass.getpass(f"New passphrase for {what}: ")
        again = getpass.getpass("The same passphrase again: ") if first else ""
        try:
            return check_new_passphrase(first, again)
        except NextHubError as problem:
            print(problem, file=sys.stderr)
    raise NextHubError(
        f"No passphrase for {what} was set (the entries were empty or differed). "
        "Nothing was changed."
    )


def ask_passphrase(prompt: str) -> str | None:
    """The passphrase typed at the terminal, or None when there is no terminal."""
    return getpass.getpass(prompt) if on_terminal() else None


def store_exists(paths: AppPaths) -> bool:
    """Whether this installation has a chat database or a database key."""
    return KeyStore(paths).exists() or paths.chats_db_file.exists()


def open_store_for_cli(paths: AppPaths, *, create_if_missing: bool) -> ChatStore:
    """The chat store, unlocked: asking for the passphrase at a terminal when needed.

    Without ``create_if_missing``, a store that does not exist yet is
    :class:`NoChatsYetError`. A wrong passphrase typed at the terminal is asked
    for again, up to :data:`TRIES` times; one from NEXTHUB_PASSPHRASE is an
    error at once (the store's own, with what to check).
    """
    keys = KeyStore(paths)
    if not store_exists(paths):
        if not create_if_missing:
            raise NoChatsYetError(paths)
        return _first_run(paths, keys)
    if (
        keys.exists()
        and keys.protection() is KeyProtection.PASSPHRASE
        and not os.environ.get(PASSPHRASE_ENV)
        and on_terminal()
    ):
        for attempt in range(1, TRIES + 1):
            passphrase = getpass.getpass("Passphrase of NextHub's chats: ")
            try:
                return open_chat_store(paths, passphrase=passphrase, key_store=keys)
            except (WrongPassphraseError, PassphraseRequiredError):  # wrong, or nothing typed
                if attempt == TRIES:
                    raise
                print("That passphrase does not open the chats. Try again.", file=sys.stderr)
    return open_chat_store(paths, key_store=keys)


def _first_run(paths: AppPaths, keys: KeyStore) -> ChatStore:
    if keys.keyring_available() or os.environ.get(PASSPHRASE_ENV):
        return open_chat_store(paths, key_store=keys)
    if not on_terminal():
        raise KeySetupNeededError
    print(FIRST_RUN_EXPLANATION, file=sys.stderr)
    passphrase = ask_new_passphrase("NextHub's chats")
    return open_chat_store(
        paths,
        passphrase=passphrase,
        first_run_protection=KeyProtection.PASSPHRASE,
        key_store=keys,
    )
