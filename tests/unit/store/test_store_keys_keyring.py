"""The database key protected by the OS keyring, against a real Secret Service.

No mock: the fixture starts a private D-Bus session bus and gnome-keyring-daemon
with an unlocked login keyring in a temporary home, and keyring's own
SecretService backend talks to it, as on a Linux desktop. CI needs the Debian
packages ``dbus-daemon`` and ``gnome-keyring`` (``apt-get install
--no-install-recommends dbus-daemon gnome-keyring``); without the two programs
these tests are skipped, and only then.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from keyring.backends import SecretService, fail

from nexthub.paths import AppPaths
from nexthub.store.key_kdf import Argon2idParams, ScryptParams, argon2id_supported
from nexthub.store.keys import (
    KeyProtection,
    KeyringEntryMissingError,
    KeyringUnavailableError,
    KeyStore,
    StoreKeyError,
)
from tests.file_snapshots import snapshot

# A dependency of keyring on Linux; elsewhere there is no Secret Service to test.
secretstorage = pytest.importorskip("secretstorage", reason="the Secret Service is Linux-only")

PASSPHRASE = "correct horse battery staple"
CHEAP = (
    Argon2idParams(iterations=1, lanes=1, memory_kib=8)
    if argon2id_supported()
    else ScryptParams(n=16, r=1, p=1)
)
BACKEND_NAME = "keyring.backends.SecretService.Keyring"
# A session bus of our own: no service activation, so nothing but our daemon answers.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture(scope="module")
def session_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A running Secret Service (gnome-keyring) on a private bus; yields the bus address."""
    dbus_daemon = shutil.which("dbus-daemon")
    keyring_daemon = shutil.which("gnome-keyring-daemon")
    if not dbus_daemon or not keyring_daemon:
        pytest.skip("needs dbus-daemon and gnome-keyring-daemon (apt: dbus-daemon gnome-keyring)")
    home = tmp_path_factory.mktemp("secret-service")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    config = home / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=home / "bus"), encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    bus = subprocess.Popen(
        [dbus_daemon, f"--config-file={config}", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    daemon: subprocess.Popen[bytes] | None = None
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address.startswith("unix:"), "dbus-daemon did not start"
        env["DBUS_SESSION_BUS_ADDRESS"] = address
        # --unlock reads the login keyring's password on stdin (and creates the keyring).
        daemon = subprocess.Popen(
            [keyring_daemon, "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        assert daemon.stdin is not None
        daemon.stdin.write(b"login-keyring-password")
        daemon.stdin.close()
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
            _wait_until_serving(daemon)
            yield address
    finally:
        for process in (daemon, bus):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)
        if bus.stdout is not None:
            bus.stdout.close()


def _wait_until_serving(daemon: subprocess.Popen[bytes]) -> None:
    """Until the daemon owns the Secret Service name and its login keyring is unlocked."""
    deadline = time.monotonic() + 20
    while True:
        with closing(secretstorage.dbus_init()) as connection:
            if secretstorage.check_service_availability(connection):
                collection = secretstorage.get_default_collection(connection)
                if not collection.is_locked():
                    return
        if daemon.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("gnome-keyring-daemon did not start serving")
        time.sleep(0.1)


@pytest.fixture
def backend(session_bus: str, monkeypatch: pytest.MonkeyPatch) -> SecretService.Keyring:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    return SecretService.Keyring()


@pytest.fixture
def paths(nexthub_home: Path) -> AppPaths:
    return AppPaths.under(nexthub_home)


@pytest.fixture
def store(paths: AppPaths, backend: SecretService.Keyring) -> KeyStore:
    return KeyStore(paths, keyring_backend=backend, environ={}, kdf=CHEAP)


class OtherSecretService(SecretService.Keyring):
    """A real, working backend under another name: as if keyring had picked another one."""


def nexthub_entries() -> list[str]:
    """Usernames of every NextHub entry in the Secret Service, read past keyring's API."""
    with closing(secretstorage.dbus_init()) as connection:
        collection = secretstorage.get_default_collection(connection)
        items = collection.search_items({"service": "NextHub"})
        return sorted(item.get_attributes()["username"] for item in items)


def recorded(paths: AppPaths) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (paths.data / "database-key.json").read_text(encoding="utf-8")
    )
    return document


# -- First run and unlock -----------------------------------------------------------------------


def test_the_keyring_is_the_default_on_first_run(
    store: KeyStore, paths: AppPaths, backend: SecretService.Keyring
) -> None:
    assert store.keyring_available()
    key = store.open_or_create()
    assert len(key) == 32
    assert store.protection() is KeyProtection.KEYRING
    entry = recorded(paths)["keyring"]
    assert entry["backend"] == BACKEND_NAME
    assert entry["service"] == "NextHub"
    assert re.fullmatch(r"database-key-kek-[0-9a-f]{16}", entry["username"])
    assert nexthub_entries() == [entry["username"]]
    kek = base64.b64decode(backend.get_password("NextHub", entry["username"]) or "")
    assert len(kek) == 32
    assert kek != key, "the keyring holds the key-encryption key, not the database key"
    assert store.unlock() == key
    assert store.open_or_create() == key
    fresh = KeyStore(paths, keyring_backend=SecretService.Keyring(), environ={})
    assert fresh.unlock() == key
    assert not paths.config.exists() or not list(paths.config.glob("*.kek"))
    store.destroy()


def test_the_keyring_wins_over_nexthub_passphrase_on_first_run(
    paths: AppPaths, backend: SecretService.Keyring
) -> None:
    store = KeyStore(
        paths, keyring_backend=backend, environ={"NEXTHUB_PASSPHRASE": PASSPHRASE}, kdf=CHEAP
    )
    store.open_or_create()
    assert store.protection() is KeyProtection.KEYRING
    store.destroy()


def test_two_installations_use_separate_entries(
    tmp_path: Path, backend: SecretService.Keyring
) -> None:
    stores = [
        KeyStore(AppPaths.under(tmp_path / name), keyring_backend=backend, environ={})
        for name in ("portable", "normal")
    ]
    keys = [s.create(KeyProtection.KEYRING) for s in stores]
    assert keys[0] != keys[1]
    assert len(nexthub_entries()) == 2
    assert [s.unlock() for s in stores] == keys
    for s in stores:
        s.destroy()
    assert nexthub_entries() == []


# -- The entry or the backend is gone: recover, never replace -----------------------------------


def assert_recovery_message(error: StoreKeyError) -> None:
    message = str(error)
    assert "did not make a new key" in message
    assert "changed nothing on disk" in message
    assert "restore the keyring" in message
    assert "nexthub data wipe" in message
    assert "NextHub" in message and "database-key-kek-" in message


def test_a_deleted_entry_stops_with_a_recovery_message_and_no_new_key(
    store: KeyStore, paths: AppPaths, nexthub_home: Path, backend: SecretService.Keyring
) -> None:
    store.create(KeyProtection.KEYRING)
    username = recorded(paths)["keyring"]["username"]
    backend.delete_password("NextHub", username)
    before = snapshot(nexthub_home)
    with pytest.raises(KeyringEntryMissingError) as caught:
        store.unlock()
    assert_recovery_message(caught.value)
    assert "not in the keyring any more" in str(caught.value)
    with pytest.raises(KeyringEntryMissingError):
        store.open_or_create()
    with pytest.raises(KeyringEntryMissingError):
        store.change_protection(KeyProtection.PASSPHRASE, new_passphrase=PASSPHRASE)
    assert snapshot(nexthub_home) == before
    assert nexthub_entries() == [], "no new key-encryption key was made"
    store.destroy()


def test_a_changed_backend_stops_with_the_same_recovery(
    store: KeyStore, paths: AppPaths, nexthub_home: Path
) -> None:
    key = store.create(KeyProtection.KEYRING)
    before = snapshot(nexthub_home)
    other = KeyStore(paths, keyring_backend=OtherSecretService(), environ={})
    with pytest.raises(KeyringEntryMissingError) as caught:
        other.open_or_create()
    assert_recovery_message(caught.value)
    assert f"PYTHON_KEYRING_BACKEND={BACKEND_NAME}" in str(caught.value)
    assert "OtherSecretService" in str(caught.value)
    none = KeyStore(paths, keyring_backend=fail.Keyring(), environ={})
    with pytest.raises(KeyringEntryMissingError, match="no keyring is in use now"):
        none.open_or_create(passphrase=PASSPHRASE)
    assert snapshot(nexthub_home) == before
    assert len(nexthub_entries()) == 1
    assert store.unlock() == key, "back on the recorded backend, it opens again"
    store.destroy()


def test_an_entry_holding_another_key_is_refused(
    store: KeyStore, paths: AppPaths, nexthub_home: Path, backend: SecretService.Keyring
) -> None:
    store.create(KeyProtection.KEYRING)
    username = recorded(paths)["keyring"]["username"]
    for value in (base64.b64encode(bytes(32)).decode(), "not a key"):
        backend.set_password("NextHub", username, value)
        before = snapshot(nexthub_home)
        with pytest.raises(KeyringEntryMissingError):
            store.unlock()
        assert snapshot(nexthub_home) == before
    store.destroy()


def test_an_unreachable_keyring_is_not_mistaken_for_a_lost_key(
    store: KeyStore, nexthub_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = store.create(KeyProtection.KEYRING)
    before = snapshot(nexthub_home)
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={nexthub_home}/no-such-bus")
    with pytest.raises(KeyringUnavailableError, match="Unlock the keyring"):
        store.unlock()
    assert snapshot(nexthub_home) == before
    monkeypatch.undo()
    assert store.unlock() == key
    store.destroy()


# -- Re-wrapping and destroying -----------------------------------------------------------------


def test_keyring_to_passphrase_removes_the_entry(store: KeyStore, paths: AppPaths) -> None:
    key = store.create(KeyProtection.KEYRING)
    assert len(nexthub_entries()) == 1
    store.change_protection(KeyProtection.PASSPHRASE, new_passphrase=PASSPHRASE)
    assert store.protection() is KeyProtection.PASSPHRASE
    assert nexthub_entries() == []
    assert store.unlock(passphrase=PASSPHRASE) == key
    assert "keyring" not in recorded(paths)


def test_passphrase_to_keyring_and_on_to_a_key_file(
    paths: AppPaths, backend: SecretService.Keyring
) -> None:
    store = KeyStore(
        paths, keyring_backend=backend, environ={"NEXTHUB_PASSPHRASE": PASSPHRASE}, kdf=CHEAP
    )
    key = store.create(KeyProtection.PASSPHRASE)
    store.change_protection(KeyProtection.KEYRING)
    assert store.protection() is KeyProtection.KEYRING
    assert store.unlock() == key
    (first,) = nexthub_entries()
    store.change_protection(KeyProtection.KEYRING)  # a fresh KEK in a fresh entry
    (second,) = nexthub_entries()
    assert second != first
    assert store.unlock() == key
    store.change_protection(KeyProtection.KEY_FILE)
    assert nexthub_entries() == []
    assert store.unlock() == key
    store.destroy()


def test_destroy_removes_the_files_and_the_keyring_entry(store: KeyStore) -> None:
    store.create(KeyProtection.KEYRING)
    listed = store.locations()
    assert len(nexthub_entries()) == 1
    store.destroy()
    assert not any(p.exists() for p in listed)
    assert nexthub_entries() == []
    assert not store.exists()


def test_no_secret_in_the_file_or_the_messages(
    store: KeyStore, paths: AppPaths, backend: SecretService.Keyring
) -> None:
    key = store.create(KeyProtection.KEYRING)
    username = recorded(paths)["keyring"]["username"]
    stored = backend.get_password("NextHub", username) or ""
    kek = base64.b64decode(stored)
    file = (paths.data / "database-key.json").read_bytes()
    backend.delete_password("NextHub", username)
    with pytest.raises(KeyringEntryMissingError) as caught:
        store.unlock()
    text = (str(caught.value) + repr(caught.value) + repr(store)).encode()
    for secret in (key, kek):
        for form in (secret, secret.hex().encode(), base64.b64encode(secret)):
            assert form not in file
            assert form not in text
    store.destroy()
