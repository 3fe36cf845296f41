"""What a face asks before the store opens: a first-run choice, a passphrase, or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from keyring.backends import fail

from nexthub.paths import AppPaths
from nexthub.service.settings import AppSettings, write_settings
from nexthub.service.store_opening import Opening, OpeningStep, plan_opening
from nexthub.store.key_kdf import Argon2idParams, ScryptParams, argon2id_supported
from nexthub.store.keys import DamagedKeyError, KeyProtection, KeyStore
from tests.file_snapshots import snapshot

PASSPHRASE = "correct horse battery staple"
CHEAP = (
    Argon2idParams(iterations=1, lanes=1, memory_kib=8)
    if argon2id_supported()
    else ScryptParams(n=16, r=1, p=1)
)


@pytest.fixture
def paths(nexthub_home: Path) -> AppPaths:
    return AppPaths.from_environment()


def keys(paths: AppPaths) -> KeyStore:
    return KeyStore(paths, keyring_backend=fail.Keyring(), environ={}, kdf=CHEAP)


def test_a_first_run_asks_for_a_choice_and_says_whether_there_is_a_keyring(
    paths: AppPaths,
) -> None:
    assert plan_opening(paths, key_store=keys(paths), environ={}) == Opening(
        OpeningStep.FIRST_RUN, keyring_available=False, welcomed=False
    )


def test_a_passphrase_key_asks_for_it_unless_the_environment_has_it(paths: AppPaths) -> None:
    keys(paths).create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    write_settings(paths.settings_file, AppSettings(welcomed=True))

    asked = plan_opening(paths, key_store=keys(paths), environ={})
    assert asked == Opening(OpeningStep.PASSPHRASE, keyring_available=False, welcomed=True)
    given = plan_opening(paths, key_store=keys(paths), environ={"NEXTHUB_PASSPHRASE": "x"})
    assert given.step is OpeningStep.OPEN


def test_a_key_file_opens_without_a_question(paths: AppPaths) -> None:
    keys(paths).create(KeyProtection.KEY_FILE)
    assert plan_opening(paths, key_store=keys(paths), environ={}).step is OpeningStep.OPEN


def test_a_database_without_its_key_is_not_a_first_run(paths: AppPaths) -> None:
    paths.ensure()
    paths.chats_db_file.write_bytes(b"\0" * 4096)
    # Opening then fails with the missing key's recovery message; never a new key.
    assert plan_opening(paths, key_store=keys(paths), environ={}).step is OpeningStep.OPEN


def test_a_damaged_key_file_is_reported_and_nothing_changes(
    paths: AppPaths, nexthub_home: Path
) -> None:
    keys(paths).create(KeyProtection.PASSPHRASE, passphrase=PASSPHRASE)
    (paths.data / "database-key.json").write_text("{ damaged", encoding="utf-8")
    before = snapshot(nexthub_home)
    with pytest.raises(DamagedKeyError, match="is damaged"):
        plan_opening(paths, key_store=keys(paths), environ={})
    assert snapshot(nexthub_home) == before
