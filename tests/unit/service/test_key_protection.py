"""The words and rules both faces use when the chats' key protection changes."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail

from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.service.key_protection import (
    available_protections,
    change_protection,
    check_new_passphrase,
    describe_protection,
)
from nexthub.store.key_kdf import ScryptParams
from nexthub.store.keys import KeyProtection, KeyStore, WrongPassphraseError

CHEAP = ScryptParams(n=16, r=1, p=1)


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    """A key store with no keyring, protected by the passphrase "old"."""
    store = KeyStore(
        AppPaths.under(tmp_path), keyring_backend=fail.Keyring(), environ={}, kdf=CHEAP
    )
    store.create(KeyProtection.PASSPHRASE, passphrase="old")
    return store


def test_a_new_passphrase_must_be_typed_twice_the_same() -> None:
    assert check_new_passphrase("teal fish", "teal fish") == "teal fish"
    with pytest.raises(NextHubError, match="cannot be empty"):
        check_new_passphrase("", "")
    with pytest.raises(NextHubError, match="differ"):
        check_new_passphrase("teal fish", "teal fsh")


def test_without_a_keyring_it_is_not_offered(keys: KeyStore) -> None:
    assert available_protections(keys) == [KeyProtection.PASSPHRASE, KeyProtection.KEY_FILE]
    assert describe_protection(None) == "nothing"


def test_changing_says_what_changed_and_only_with_the_right_passphrase(keys: KeyStore) -> None:
    key = keys.unlock(passphrase="old")
    with pytest.raises(WrongPassphraseError):
        change_protection(keys, KeyProtection.PASSPHRASE, old_passphrase="x", new_passphrase="n")

    message = change_protection(
        keys, KeyProtection.PASSPHRASE, old_passphrase="old", new_passphrase="new"
    )
    assert message == "Changed the passphrase of NextHub's chats."
    assert keys.unlock(passphrase="new") == key

    message = change_protection(keys, KeyProtection.KEY_FILE, old_passphrase="new")
    assert message == (
        "NextHub's database key is now protected by a key file in the config folder "
        "(it was a passphrase). The database itself was not re-encrypted."
    )
    assert keys.unlock() == key
