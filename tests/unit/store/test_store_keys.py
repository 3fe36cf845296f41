"""The database key with a passphrase or a key file: made, unlocked, re-wrapped, destroyed.

Every store here is given keyring's "fail" backend (the real one on a machine
with no keyring), so no test can touch a developer's own keyring. The keyring
protection has its own module, test_store_keys_keyring.py, with a real one.
"""

from __future__ import annotations

import base64
import json
import logging
import stat
import threading
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import fail

from nexthub.errors import NextHubError
from nexthub.paths import AppPaths
from nexthub.store.key_files import TEMP_PREFIX, write_private
from nexthub.store.key_format import checksum, parse
from nexthub.store.key_kdf import (
    Argon2idParams,
    KdfParams,
    PassphraseKdf,
    ScryptParams,
    argon2id_supported,
    default_kdf,
)
from nexthub.store.keys import (
    DamagedKeyError,
    KeyAlreadyExistsError,
    KeyMissingError,
    KeyProtection,
    KeyringUnavailableError,
    KeySetupNeededError,
    KeyStore,
    PassphraseRequiredError,
    StoreKeyError,
    UnsupportedKeyFormatError,
    WrongPassphraseError,
)
from tests.file_snapshots import snapshot

PASSPHRASE = "correct horse battery staple"
OTHER = "Tr0ub4dor&3"
# Test-only cost, passed explicitly; the default is tested below and never weakened.
CHEAP: KdfParams = (
    Argon2idParams(iterations=1, lanes=1, memory_kib=8)
    if argon2id_supported()
    else ScryptParams(n=16, r=1, p=1)
)


@pytest.fixture
def paths(nexthub_home: Path) -> AppPaths:
    return AppPaths.under(nexthub_home)


@pytest.fixture
def make_store(paths: AppPaths) -> Callable[..., KeyStore]:
    def make(environ: dict[str, str] | None = None, kdf: KdfParams = CHEAP) -> KeyStore:
        return KeyStore(paths, keyring_backend=fail.Keyring(), environ=environ or {}, kdf=kdf)

    return make


@pytest.fixture
def store(make_store: Callable[..., KeyStore]) -> KeyStore:
    return make_store()


def wrapped_file(paths: AppPaths) -> Path:
    return paths.data / "database-key.json"


def load(paths: AppPaths) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(wrapped_file(paths).read_text(encoding="utf-8"))
    return document


def save(paths: AppPaths, document: dict[str, Any], *, fix_checksum: bool) -> None:
    if fix_checksum:
        document["checksum"] = checksum(document)
    wrapped_file(paths).write_text(json.dumps(document), encoding="utf-8")


def forms(secret: bytes | str) -> list[bytes]:
    """The ways a secret could leak into a file or a message."""
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    return [raw, raw.hex().encode(), base64.b64encode(raw), base64.b64encode(raw)[:-2]]


def message_chain(exc: BaseException) -> str:
    """str and repr of an exception and everything it was raised from."""
    text = []
    current: BaseException | None = exc
    while current is not None:
        text += [str(current), repr(current)]
        current = current.__cause__ or current.__context__
    return "\n".join(text)


# -- First run ---------------------------------------------------------------------------------


def test_first_run_with_a_passphrase_makes_a_random_32_byte_key_that_unlocks(
    store: KeyStore, paths: AppPaths
) -> None:
    assert not store.exists()
    assert store.protection() is None
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    assert len(key) == 32
    assert store.exists()
    assert store.protection() is KeyProtection.PASSPHRASE
    assert store.unlock(passphrase=PASSPHRASE) == key
    assert store.unlock(passphrase=PASSPHRASE) == key
    assert (
        KeyStore(paths, keyring_backend=fail.Keyring(), environ={}).unlock(passphrase=PASSPHRASE)
        == key
    ), "the recorded KDF parameters, not the constructor's, must be used to unlock"


def test_two_installations_get_different_keys(tmp_path: Path) -> None:
    keys = {
        KeyStore(AppPaths.under(tmp_path / name), keyring_backend=fail.Keyring(), kdf=CHEAP).create(
            KeyProtection.PASSPHRASE, passphrase=PASSPHRASE
        )
        for name in ("a", "b")
    }
    assert len(keys) == 2


def test_the_wrapped_key_file_is_private_json_with_its_settings_recorded(
    store: KeyStore, paths: AppPaths
) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    file = wrapped_file(paths)
    assert file in store.locations()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    document = load(paths)
    assert document["version"] == 1
    assert document["protection"] == "passphrase"
    assert document["cipher"] == "aes-256-gcm"
    kdf = document["kdf"]
    assert kdf["name"] in {"argon2id", "scrypt"}
    assert len(base64.b64decode(kdf["salt"])) == 16
    assert len(base64.b64decode(document["nonce"])) == 12
    assert len(base64.b64decode(document["ciphertext"])) == 48  # 32-byte key + 16-byte tag
    assert not list(paths.data.glob(f"{TEMP_PREFIX}*")), "the temporary file was left behind"


def test_first_run_with_a_key_file_writes_a_0600_key_file(store: KeyStore, paths: AppPaths) -> None:
    key = store.create(KeyProtection.KEY_FILE)
    assert store.protection() is KeyProtection.KEY_FILE
    key_files = list(paths.config.glob("database-key-*.kek"))
    assert len(key_files) == 1
    assert stat.S_IMODE(key_files[0].stat().st_mode) == 0o600
    assert len(key_files[0].read_bytes()) == 32
    assert set(store.locations()) >= {wrapped_file(paths), key_files[0]}
    assert store.unlock() == key


def test_a_key_file_takes_no_passphrase(store: KeyStore) -> None:
    with pytest.raises(ValueError, match="passphrase"):
        store.create(KeyProtection.KEY_FILE, passphrase=PASSPHRASE)


def test_create_refuses_to_replace_an_existing_key(store: KeyStore, nexthub_home: Path) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    before = snapshot(nexthub_home)
    for protection in KeyProtection:
        with pytest.raises(KeyAlreadyExistsError, match="will not replace it"):
            store.create(protection, passphrase=OTHER if protection == "passphrase" else None)
    assert snapshot(nexthub_home) == before


def test_a_racing_first_run_leaves_the_winners_key_and_no_stray_key_file(
    store: KeyStore, paths: AppPaths, nexthub_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process creates the key between our exists() check and our write."""
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    before = snapshot(nexthub_home)
    monkeypatch.setattr(KeyStore, "exists", lambda self: False)
    with pytest.raises(KeyAlreadyExistsError):
        store.create(KeyProtection.KEY_FILE)
    assert snapshot(nexthub_home) == before
    monkeypatch.undo()
    assert store.unlock(passphrase=PASSPHRASE) == key


def test_parallel_first_runs_all_get_the_same_key(make_store: Callable[..., KeyStore]) -> None:
    keys: list[bytes] = []
    barrier = threading.Barrier(6)

    def first_run() -> None:
        barrier.wait()
        keys.append(make_store({"NEXTHUB_PASSPHRASE": PASSPHRASE}).open_or_create())

    threads = [threading.Thread(target=first_run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 6
    assert len(set(keys)) == 1


def test_write_private_never_clobbers_without_replace(tmp_path: Path) -> None:
    target = tmp_path / "f"
    write_private(target, b"one", replace=False)
    with pytest.raises(FileExistsError):
        write_private(target, b"two", replace=False)
    assert target.read_bytes() == b"one"
    write_private(target, b"three", replace=True)
    assert target.read_bytes() == b"three"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


# -- NEXTHUB_PASSPHRASE and the non-interactive path -----------------------------------------------


def test_nexthub_passphrase_chooses_passphrase_protection_on_first_run_and_unlocks(
    make_store: Callable[..., KeyStore],
) -> None:
    headless = make_store({"NEXTHUB_PASSPHRASE": PASSPHRASE})
    key = headless.open_or_create()
    assert headless.protection() is KeyProtection.PASSPHRASE
    assert headless.unlock() == key
    assert headless.open_or_create() == key
    assert make_store().unlock(passphrase=PASSPHRASE) == key, "it is the passphrase itself"


def test_an_explicit_passphrase_wins_over_the_environment(
    make_store: Callable[..., KeyStore],
) -> None:
    store = make_store({"NEXTHUB_PASSPHRASE": OTHER})
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    assert store.unlock(passphrase=PASSPHRASE) == key
    with pytest.raises(WrongPassphraseError, match="NEXTHUB_PASSPHRASE"):
        store.unlock()


def test_open_or_create_uses_a_given_passphrase_when_there_is_no_keyring(store: KeyStore) -> None:
    key = store.open_or_create(passphrase=PASSPHRASE)
    assert store.protection() is KeyProtection.PASSPHRASE
    assert store.open_or_create(passphrase=PASSPHRASE) == key


def test_no_keyring_and_no_passphrase_asks_the_user_to_choose_and_writes_nothing(
    store: KeyStore, nexthub_home: Path
) -> None:
    assert not store.keyring_available()
    with pytest.raises(KeySetupNeededError) as caught:
        store.open_or_create()
    message = str(caught.value)
    assert "passphrase" in message
    assert "NEXTHUB_PASSPHRASE" in message
    assert "key file" in message
    assert not nexthub_home.exists() or snapshot(nexthub_home) == {}


def test_keyring_protection_without_a_keyring_is_refused_and_writes_nothing(
    store: KeyStore, nexthub_home: Path
) -> None:
    with pytest.raises(KeyringUnavailableError, match="passphrase"):
        store.create(KeyProtection.KEYRING)
    assert not store.exists()
    assert [p for p in nexthub_home.rglob("*") if p.is_file()] == []


def test_a_missing_passphrase_is_asked_for(store: KeyStore, nexthub_home: Path) -> None:
    with pytest.raises(PassphraseRequiredError):
        store.create(KeyProtection.PASSPHRASE)
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    before = snapshot(nexthub_home)
    with pytest.raises(PassphraseRequiredError, match="NEXTHUB_PASSPHRASE"):
        store.unlock()
    assert snapshot(nexthub_home) == before


def test_a_passphrase_typed_in_another_unicode_form_still_unlocks(store: KeyStore) -> None:
    composed = unicodedata.normalize("NFC", "Crème brûlée, naïve café")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    key = store.create(KeyProtection.PASSPHRASE, passphrase=decomposed)
    assert store.unlock(passphrase=composed) == key


# -- Wrong passphrase, damaged files: clear errors and nothing changed --------------------------


def test_a_wrong_passphrase_is_told_apart_and_changes_nothing(
    store: KeyStore, nexthub_home: Path
) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    before = snapshot(nexthub_home)
    with pytest.raises(WrongPassphraseError) as caught:
        store.unlock(passphrase=OTHER)
    assert "Nothing was changed" in str(caught.value)
    assert isinstance(caught.value, StoreKeyError)
    assert isinstance(caught.value, NextHubError)
    with pytest.raises(WrongPassphraseError):
        store.open_or_create(passphrase=OTHER)
    with pytest.raises(WrongPassphraseError):
        store.change_protection(KeyProtection.KEY_FILE, old_passphrase=OTHER)
    assert snapshot(nexthub_home) == before


def flip_ciphertext(document: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(document["ciphertext"]))
    raw[5] ^= 0x01
    document["ciphertext"] = base64.b64encode(bytes(raw)).decode()


def flip_nonce(document: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(document["nonce"]))
    raw[0] ^= 0x80
    document["nonce"] = base64.b64encode(bytes(raw)).decode()


def swap_protection_to_key_file(document: dict[str, Any]) -> None:
    document["protection"] = "key-file"


def swap_protection_to_keyring(document: dict[str, Any]) -> None:
    document["protection"] = "keyring"


def move_kdf_to_key_file(document: dict[str, Any]) -> None:
    """A consistent-looking swap: the fields match the new protection."""
    del document["kdf"]
    document["protection"] = "key-file"
    document["key_file"] = "database-key-0123456789abcdef.kek"


def bump_salt(document: dict[str, Any]) -> None:
    raw = bytearray(base64.b64decode(document["kdf"]["salt"]))
    raw[0] ^= 0x01
    document["kdf"]["salt"] = base64.b64encode(bytes(raw)).decode()


def huge_kdf_memory(document: dict[str, Any]) -> None:
    if document["kdf"]["name"] == "argon2id":
        document["kdf"]["memory_kib"] = 2**40
    else:
        document["kdf"]["n"] = 2**40


def protection_of_the_wrong_type(document: dict[str, Any]) -> None:
    document["protection"] = ["passphrase"]


def drop_a_field(document: dict[str, Any]) -> None:
    del document["kek_check"]


def bad_base64(document: dict[str, Any]) -> None:
    document["nonce"] = "not base64!"


@pytest.mark.parametrize(
    "damage",
    [
        flip_ciphertext,
        flip_nonce,
        swap_protection_to_key_file,
        swap_protection_to_keyring,
        move_kdf_to_key_file,
        bump_salt,
        huge_kdf_memory,
        protection_of_the_wrong_type,
        drop_a_field,
        bad_base64,
    ],
)
@pytest.mark.parametrize("fix_checksum", [False, True], ids=["accidental", "checksum-fixed"])
def test_a_damaged_wrapped_key_is_reported_and_nothing_changes(
    store: KeyStore,
    paths: AppPaths,
    nexthub_home: Path,
    damage: Callable[[dict[str, Any]], None],
    fix_checksum: bool,
) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    document = load(paths)
    damage(document)
    save(paths, document, fix_checksum=fix_checksum)
    before = snapshot(nexthub_home)
    expected: type[StoreKeyError] = DamagedKeyError
    if fix_checksum and damage is bump_salt:
        # A deliberate edit of the salt derives another KEK: indistinguishable from a
        # wrong passphrase (the checksum is what tells accidental damage apart).
        expected = WrongPassphraseError
    if fix_checksum and damage is move_kdf_to_key_file:
        expected = KeyMissingError  # it now names a key file that is not there
    with pytest.raises(expected) as caught:
        store.unlock(passphrase=PASSPHRASE)
    if expected is DamagedKeyError:
        assert "damaged" in str(caught.value)
        assert str(wrapped_file(paths)) in str(caught.value)
        assert "backup" in str(caught.value)
        with pytest.raises(DamagedKeyError):
            store.change_protection(KeyProtection.KEY_FILE, old_passphrase=PASSPHRASE)
    assert snapshot(nexthub_home) == before


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[]",
        b"\xff\xfe",
        b'{"format": "something else"}',
        b"[" * 60_000,
        b'{"version": ' + b"9" * 5000 + b"}",
        b" " * 100_000,
    ],
    ids=["empty", "truncated", "not-an-object", "not-utf8", "foreign", "deep", "long-int", "huge"],
)
def test_a_wrapped_key_file_that_is_not_json_is_damaged(
    store: KeyStore, paths: AppPaths, nexthub_home: Path, content: bytes
) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    wrapped_file(paths).write_bytes(content)
    before = snapshot(nexthub_home)
    with pytest.raises(DamagedKeyError):
        store.unlock(passphrase=PASSPHRASE)
    with pytest.raises(DamagedKeyError):
        store.protection()
    assert snapshot(nexthub_home) == before


def test_a_truncated_wrapped_key_file_is_damaged(
    store: KeyStore, paths: AppPaths, nexthub_home: Path
) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    file = wrapped_file(paths)
    file.write_bytes(file.read_bytes()[: len(file.read_bytes()) // 2])
    before = snapshot(nexthub_home)
    with pytest.raises(DamagedKeyError, match="not valid JSON"):
        store.unlock(passphrase=PASSPHRASE)
    assert snapshot(nexthub_home) == before


def field_paths(document: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, value in document.items():
        found.append((*prefix, name))
        if isinstance(value, dict):
            found += field_paths(value, (*prefix, name))
    return found


@pytest.mark.parametrize("protection", [KeyProtection.PASSPHRASE, KeyProtection.KEY_FILE])
def test_any_field_of_any_wrong_type_is_reported_as_a_key_error(
    store: KeyStore, paths: AppPaths, protection: KeyProtection
) -> None:
    """Never a TypeError or KeyError from deep inside: always an error for the user."""
    store.create(protection, passphrase=PASSPHRASE if protection == "passphrase" else None)
    original = load(paths)
    for path in field_paths(original):
        if path == ("checksum",):
            continue
        for value in (None, [], {}, [1], 1.5, True, -1, 2**70, "", "x" * 300):
            document = json.loads(json.dumps(original))
            parent = document
            for name in path[:-1]:
                parent = parent[name]
            parent[path[-1]] = value
            save(paths, document, fix_checksum=True)
            with pytest.raises(StoreKeyError):
                store.unlock(passphrase=PASSPHRASE)


def test_damage_to_the_check_value_alone_does_not_lock_the_user_out(
    store: KeyStore, paths: AppPaths
) -> None:
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    document = load(paths)
    raw = bytearray(base64.b64decode(document["kek_check"]))
    raw[0] ^= 0xFF
    document["kek_check"] = base64.b64encode(bytes(raw)).decode()
    save(paths, document, fix_checksum=True)
    assert store.unlock(passphrase=PASSPHRASE) == key


def test_a_file_from_a_newer_nexthub_says_so(store: KeyStore, paths: AppPaths) -> None:
    store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    document = load(paths)
    document["version"] = 2
    save(paths, document, fix_checksum=True)
    with pytest.raises(UnsupportedKeyFormatError, match="newer version of NextHub"):
        store.unlock(passphrase=PASSPHRASE)


def test_the_protection_is_bound_to_the_ciphertext() -> None:
    """AES-GCM's associated data covers the protection: a re-labelled wrapping fails the tag
    even with the right KEK (here, with every other check passing)."""
    from dataclasses import replace

    from nexthub.store.key_format import KekMismatchError, WrappedKey, unwrap, wrap

    kek, key = bytes(range(32)), bytes(range(32, 64))
    kdf = PassphraseKdf(params=CHEAP, salt=b"s" * 16)
    blank = WrappedKey(
        protection=KeyProtection.PASSPHRASE, nonce=b"", ciphertext=b"", kek_check=b"", kdf=kdf
    )
    record = wrap(key, kek, b"n" * 12, blank)
    assert unwrap(record, kek, Path("f")) == key
    relabelled = replace(
        record, protection=KeyProtection.KEY_FILE, kdf=None, key_file="database-key-0.kek"
    )
    with pytest.raises(DamagedKeyError, match="changed"):
        unwrap(relabelled, kek, Path("f"))
    with pytest.raises(KekMismatchError):
        unwrap(record, bytes(32), Path("f"))
    assert parse(record.to_bytes(), Path("f")) == record


def test_a_missing_or_foreign_key_file_is_reported_and_nothing_changes(
    store: KeyStore, paths: AppPaths, nexthub_home: Path
) -> None:
    store.create(KeyProtection.KEY_FILE)
    (key_file,) = paths.config.glob("database-key-*.kek")
    key_file.write_bytes(bytes(32))
    before = snapshot(nexthub_home)
    with pytest.raises(DamagedKeyError, match="not the key file"):
        store.unlock()
    key_file.write_bytes(b"short")
    with pytest.raises(DamagedKeyError, match="right size"):
        store.unlock()
    key_file.unlink()
    with pytest.raises(KeyMissingError, match="did not make a new key"):
        store.unlock()
    with pytest.raises(KeyMissingError):
        store.open_or_create()
    assert not key_file.exists()
    del before[str(key_file.relative_to(nexthub_home))]
    assert snapshot(nexthub_home) == before


def test_a_missing_wrapped_key_file_is_not_silently_replaced_by_unlock(store: KeyStore) -> None:
    with pytest.raises(KeyMissingError, match="missing"):
        store.unlock(passphrase=PASSPHRASE)


# -- Re-wrapping ----------------------------------------------------------------------------------


def test_changing_the_passphrase_keeps_the_key(store: KeyStore, paths: AppPaths) -> None:
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    salt = load(paths)["kdf"]["salt"]
    store.change_protection(
        KeyProtection.PASSPHRASE, old_passphrase=PASSPHRASE, new_passphrase=OTHER
    )
    assert store.unlock(passphrase=OTHER) == key
    assert load(paths)["kdf"]["salt"] != salt, "a new wrapping gets a new salt"
    with pytest.raises(WrongPassphraseError):
        store.unlock(passphrase=PASSPHRASE)
    assert stat.S_IMODE(wrapped_file(paths).stat().st_mode) == 0o600


def test_passphrase_to_key_file_and_back_keeps_the_key(store: KeyStore, paths: AppPaths) -> None:
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    store.change_protection(KeyProtection.KEY_FILE, old_passphrase=PASSPHRASE)
    assert store.protection() is KeyProtection.KEY_FILE
    assert store.unlock() == key
    (key_file,) = paths.config.glob("database-key-*.kek")
    store.change_protection(KeyProtection.PASSPHRASE, new_passphrase=OTHER)
    assert store.protection() is KeyProtection.PASSPHRASE
    assert store.unlock(passphrase=OTHER) == key
    assert not key_file.exists(), "the old key file is removed once the new wrapping is in place"
    assert list(paths.config.glob("database-key-*")) == []


def test_a_new_key_file_replaces_the_old_one(store: KeyStore, paths: AppPaths) -> None:
    key = store.create(KeyProtection.KEY_FILE)
    (old,) = paths.config.glob("database-key-*.kek")
    store.change_protection(KeyProtection.KEY_FILE)
    (new,) = paths.config.glob("database-key-*.kek")
    assert new != old
    assert store.unlock() == key


def test_the_old_passphrase_may_come_from_the_environment(
    make_store: Callable[..., KeyStore],
) -> None:
    store = make_store({"NEXTHUB_PASSPHRASE": PASSPHRASE})
    key = store.open_or_create()
    store.change_protection(KeyProtection.PASSPHRASE, new_passphrase=OTHER)
    assert store.unlock(passphrase=OTHER) == key


def test_a_change_without_a_new_passphrase_changes_nothing(
    make_store: Callable[..., KeyStore], nexthub_home: Path
) -> None:
    store = make_store({"NEXTHUB_PASSPHRASE": PASSPHRASE})
    store.open_or_create()
    before = snapshot(nexthub_home)
    with pytest.raises(PassphraseRequiredError):
        store.change_protection(KeyProtection.PASSPHRASE, old_passphrase=PASSPHRASE)
    with pytest.raises(KeyringUnavailableError):
        store.change_protection(KeyProtection.KEYRING, old_passphrase=PASSPHRASE)
    assert snapshot(nexthub_home) == before


def test_a_failed_write_leaves_the_old_wrapping_and_no_new_key_file(
    store: KeyStore, nexthub_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full or read-only disk when the new wrapped-key file is written."""
    import nexthub.store.keys as keys_module

    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    before = snapshot(nexthub_home)
    real_write = keys_module.write_private

    def failing_write(path: Path, data: bytes, *, replace: bool) -> None:
        if path.name == "database-key.json":
            raise OSError(28, "No space left on device")
        real_write(path, data, replace=replace)

    monkeypatch.setattr(keys_module, "write_private", failing_write)
    with pytest.raises(OSError, match="No space"):
        store.change_protection(KeyProtection.KEY_FILE, old_passphrase=PASSPHRASE)
    monkeypatch.undo()
    assert snapshot(nexthub_home) == before
    assert store.unlock(passphrase=PASSPHRASE) == key


# -- Destroy, locations -------------------------------------------------------------------------


@pytest.mark.parametrize("protection", [KeyProtection.PASSPHRASE, KeyProtection.KEY_FILE])
def test_destroy_removes_every_file_it_lists(
    store: KeyStore, paths: AppPaths, protection: KeyProtection
) -> None:
    store.create(protection, passphrase=PASSPHRASE if protection == "passphrase" else None)
    leftover = paths.config / f"{TEMP_PREFIX}abc.tmp"  # as a crash mid-write would leave
    paths.config.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"x")
    listed = store.locations()
    assert leftover in listed
    assert all(p.is_relative_to(paths.data) or p.is_relative_to(paths.config) for p in listed)
    store.destroy()
    assert not any(p.exists() for p in listed)
    assert not store.exists()
    assert store.protection() is None
    store.destroy()  # nothing left: a no-op


def test_destroy_works_on_a_damaged_file(store: KeyStore, paths: AppPaths) -> None:
    store.create(KeyProtection.KEY_FILE)
    wrapped_file(paths).write_bytes(b"{")
    listed = store.locations()
    store.destroy()
    assert not any(p.exists() for p in listed)


def test_after_destroy_a_new_key_can_be_made_and_differs(store: KeyStore) -> None:
    first = store.create(KeyProtection.KEY_FILE)
    store.destroy()
    assert store.create(KeyProtection.KEY_FILE) != first


# -- Secrets stay secret ----------------------------------------------------------------------


def test_no_secret_in_the_files_the_messages_the_logs_or_the_repr(
    make_store: Callable[..., KeyStore], paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = make_store({"NEXTHUB_PASSPHRASE": PASSPHRASE})
    key = store.open_or_create()
    record = parse(wrapped_file(paths).read_bytes(), wrapped_file(paths))
    assert record.kdf is not None
    kek = record.kdf.derive(PASSPHRASE)
    files = [wrapped_file(paths).read_bytes()]

    messages = []
    for attempt in (
        lambda: store.unlock(passphrase=OTHER),
        lambda: make_store({"NEXTHUB_PASSPHRASE": OTHER}).unlock(),
        lambda: store.change_protection(KeyProtection.PASSPHRASE, old_passphrase=PASSPHRASE),
        lambda: store.create(KeyProtection.PASSPHRASE, passphrase=OTHER),
    ):
        with pytest.raises(StoreKeyError) as caught:
            attempt()
        messages.append(message_chain(caught.value))
    store.change_protection(KeyProtection.KEY_FILE)  # old passphrase from the environment
    (key_file,) = paths.config.glob("database-key-*.kek")
    file_kek = key_file.read_bytes()
    files.append(wrapped_file(paths).read_bytes())
    document = load(paths)
    document["ciphertext"] = document["ciphertext"][:-4] + "AAA="
    save(paths, document, fix_checksum=True)
    with pytest.raises(DamagedKeyError) as damaged:
        store.unlock()
    messages.append(message_chain(damaged.value))
    store.destroy()

    text = "\n".join([*messages, repr(store), str(store), caplog.text]).encode()
    assert "destroyed" in caplog.text  # the log was captured
    everything = b"\n".join(files)
    for secret in (key, kek, file_kek, PASSPHRASE, OTHER):
        for form in forms(secret):
            assert form not in text
            assert form not in everything


# -- The default cost ------------------------------------------------------------------------------


def test_the_default_kdf_is_not_weakened(store: KeyStore, paths: AppPaths) -> None:
    expected = Argon2idParams() if argon2id_supported() else ScryptParams()
    assert default_kdf() == expected
    if isinstance(expected, Argon2idParams):
        assert expected.memory_kib >= 64 * 1024 and expected.iterations >= 3
    else:
        assert expected.n >= 2**17 and expected.r >= 8
    real = KeyStore(paths, keyring_backend=fail.Keyring(), environ={})
    key = real.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    assert real.unlock(passphrase=PASSPHRASE) == key
    recorded = load(paths)["kdf"]
    if isinstance(expected, Argon2idParams):
        assert recorded["name"] == "argon2id"
        assert recorded["memory_kib"] == expected.memory_kib
        assert recorded["iterations"] == expected.iterations
        assert recorded["lanes"] == expected.lanes
    else:
        assert (recorded["name"], recorded["n"]) == ("scrypt", expected.n)


def test_scrypt_wrappings_unlock(make_store: Callable[..., KeyStore]) -> None:
    store = make_store(kdf=ScryptParams(n=16, r=1, p=1))
    key = store.create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    assert store.unlock(passphrase=PASSPHRASE) == key
    with pytest.raises(WrongPassphraseError):
        store.unlock(passphrase=OTHER)


@pytest.mark.parametrize(
    "make",
    [
        lambda: Argon2idParams(memory_kib=4),
        lambda: Argon2idParams(iterations=0),
        lambda: ScryptParams(n=1000),
        lambda: ScryptParams(n=2**30, r=8),
    ],
)
def test_out_of_range_kdf_parameters_are_refused(make: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="must"):
        make()
