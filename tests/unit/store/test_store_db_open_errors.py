"""Opening with a wrong key or a damaged file: a clear error, and nothing on disk changes."""

from __future__ import annotations

import hashlib
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import sqlcipher3

from nexthub.store import (
    ChatStore,
    DatabaseBusyError,
    DatabaseUnreadableError,
    DiskFullError,
    StoreError,
)
from nexthub.store.database import translate_error
from tests.integration.store.store_db_pages import decrypt_database

ROOT = Path(__file__).resolve().parents[3]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder and its sha256."""
    return {
        path.name: hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.iterdir())
    }


def fill(path: Path, key: bytes, conversations: int = 3) -> None:
    with ChatStore.open(path, key) as store:
        for n in range(conversations):
            conversation = store.create_conversation(f"conversation {n}")
            store.add_message(conversation.id, "user", "text " * 2000, parent_id=None)


def test_a_wrong_key_is_a_clear_error_and_changes_nothing(db_path: Path, key: bytes) -> None:
    fill(db_path, key)
    before = snapshot(db_path.parent)
    with pytest.raises(DatabaseUnreadableError, match="cannot be decrypted with this key"):
        ChatStore.open(db_path, secrets.token_bytes(32))
    assert snapshot(db_path.parent) == before == {"chats.db": before["chats.db"]}
    with ChatStore.open(db_path, key) as store:  # the right key still opens it
        assert store.count_conversations() == 3


CRASH_WHILE_WRITING = """
import os, sys
from pathlib import Path
from nexthub.store import ChatStore
store = ChatStore.open(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))
conversation = store.create_conversation("written just before the crash")
store.add_message(conversation.id, "user", "in the WAL only", parent_id=None)
os._exit(0)  # no close: the WAL and the shared-memory file stay behind
"""


def test_a_wrong_key_after_a_crash_leaves_the_wal_alone(db_path: Path, key: bytes) -> None:
    """An ordinary open with a wrong key would checkpoint a crash's WAL into the file."""
    fill(db_path, key, conversations=1)
    subprocess.run(
        [sys.executable, "-c", CRASH_WHILE_WRITING, str(db_path), key.hex()],
        check=True,
        cwd=ROOT,
    )
    before = snapshot(db_path.parent)
    assert set(before) == {"chats.db", "chats.db-wal", "chats.db-shm"}
    with pytest.raises(DatabaseUnreadableError):
        ChatStore.open(db_path, secrets.token_bytes(32))
    assert snapshot(db_path.parent) == before
    with ChatStore.open(db_path, key) as store:
        assert store.count_conversations() == 2


def damage(path: Path, page: int) -> None:
    with path.open("r+b") as file:
        file.seek(page * 4096 + 100)
        file.write(secrets.token_bytes(200))


def test_a_damaged_first_page_is_a_clear_error_on_open(db_path: Path, key: bytes) -> None:
    fill(db_path, key)
    damage(db_path, 0)
    before = snapshot(db_path.parent)
    with pytest.raises(DatabaseUnreadableError, match="damaged"):
        ChatStore.open(db_path, key)
    assert snapshot(db_path.parent) == before


def test_a_damaged_later_page_is_a_clear_error_when_read(db_path: Path, key: bytes) -> None:
    fill(db_path, key)
    image = decrypt_database(db_path, key)
    text_pages = [
        n for n in range(1, len(image) // 4096) if b"text text" in image[n * 4096 : (n + 1) * 4096]
    ]
    damage(db_path, text_pages[len(text_pages) // 2])  # a page of message text
    with ChatStore.open(db_path, key) as store:
        with pytest.raises(DatabaseUnreadableError, match="damaged"):
            store.check_integrity()
        with pytest.raises(DatabaseUnreadableError):
            for conversation in store.list_conversations():
                store.current_branch(conversation.id)


def test_a_file_that_is_not_a_database(db_path: Path, key: bytes) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(os.urandom(8192))
    with pytest.raises(DatabaseUnreadableError):
        ChatStore.open(db_path, key)


@pytest.mark.parametrize("bad", [b"short", "a" * 32, bytes(33)])
def test_the_key_must_be_32_bytes(db_path: Path, bad: object) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        ChatStore.open(db_path, bad)  # type: ignore[arg-type]
    assert not db_path.parent.exists()


def test_integrity_check_passes_on_a_good_file(db_path: Path, key: bytes) -> None:
    fill(db_path, key, conversations=1)
    with ChatStore.open(db_path, key) as store:
        store.check_integrity()


def test_sqlite_errors_become_store_errors(tmp_path: Path) -> None:
    def error(code: int) -> sqlcipher3.Error:
        exc = sqlcipher3.OperationalError("boom")
        exc.sqlite_errorcode = code
        return exc

    assert isinstance(translate_error(error(13), tmp_path), DiskFullError)
    assert isinstance(translate_error(error(5), tmp_path), DatabaseBusyError)
    assert isinstance(translate_error(error(26), tmp_path), DatabaseUnreadableError)
    assert isinstance(translate_error(error(10 | (3 << 8)), tmp_path), StoreError)  # IOERR_WRITE
    constraint = error(19)  # SQLITE_CONSTRAINT: a bug, not the user's problem
    assert translate_error(constraint, tmp_path) is constraint


def test_another_process_holding_the_lock_is_waited_for_then_reported(
    db_path: Path, key: bytes
) -> None:
    fill(db_path, key, conversations=1)
    other = sqlcipher3.connect(str(db_path), isolation_level=None)
    other.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    with ChatStore.open(db_path, key, busy_timeout_s=0.2) as store:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(DatabaseBusyError, match="in use by another program"):
            store.create_conversation("blocked")
        other.execute("COMMIT")
        store.create_conversation("fine now")
    other.close()
