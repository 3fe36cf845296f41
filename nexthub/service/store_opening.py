"""What a face must ask the user before the chat store opens: nothing, a passphrase, or a choice.

The terminal asks at a prompt and the desktop app in a dialog, but the
decision is the same, so it is made here: a first run (no key and no
database) needs the user to choose how the key is protected; a key protected
by a passphrase needs the passphrase, unless ``NEXTHUB_PASSPHRASE`` gives it;
anything else (keyring, key file) opens without a question. The store is then
opened with :func:`nexthub.service.store_access.open_chat_store`.

A damaged wrapped-key file is found here already (its protection cannot be
read) and raises its own :class:`~nexthub.store.keys.DamagedKeyError`, with the
recovery message, before anything else is tried. Nothing here writes.
"""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from dataclasses import dataclass

from nexthub.paths import AppPaths
from nexthub.service.settings import read_settings
from nexthub.store.keys import (
    PASSPHRASE_ENV,
    KeyProtection,
    KeyStore,
    PassphraseRequiredError,
    StoreKeyError,
    WrongPassphraseError,
)

__all__ = [
    "KeyProtection",
    "Opening",
    "OpeningStep",
    "PassphraseRequiredError",
    "StoreKeyError",
    "WrongPassphraseError",
    "plan_opening",
]


class OpeningStep(enum.Enum):
    """What the face does before it can open the store."""

    #: No key and no database: the user chooses a protection (and a passphrase).
    FIRST_RUN = "first-run"
    #: The key is protected by a passphrase and none is in the environment: ask for it.
    PASSPHRASE = "passphrase"  # noqa: S105 - the step's name, not a secret
    #: Keyring, key file, or NEXTHUB_PASSPHRASE: open without asking.
    OPEN = "open"


@dataclass(frozen=True)
class Opening:
    """The step, and what the first-run choice offers on this machine."""

    step: OpeningStep
    #: Whether a real OS keyring is there (asked only on a first run; else False).
    keyring_available: bool
    #: Whether the user has been through the app's welcome (a terminal user may not have).
    welcomed: bool


def plan_opening(
    paths: AppPaths,
    *,
    key_store: KeyStore | None = None,
    environ: Mapping[str, str] | None = None,
) -> Opening:
    """Decide what to ask before opening the store (see the module docstring).

    Reads the wrapped-key file and the settings; may take a moment (the keyring
    is asked over D-Bus on a first run), so a GUI calls it off its main thread.
    """
    keys = key_store or KeyStore(paths)
    environment = os.environ if environ is None else environ
    welcomed = read_settings(paths.settings_file).welcomed
    if not (keys.exists() or paths.chats_db_file.exists()):
        return Opening(OpeningStep.FIRST_RUN, keys.keyring_available(), welcomed)
    needs_passphrase = (
        keys.exists()
        and keys.protection() is KeyProtection.PASSPHRASE
        and not environment.get(PASSPHRASE_ENV)
    )
    step = OpeningStep.PASSPHRASE if needs_passphrase else OpeningStep.OPEN
    return Opening(step, keyring_available=False, welcomed=welcomed)
