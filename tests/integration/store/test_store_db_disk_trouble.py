"""A full disk and a read-only disk: clear errors, and nothing that was saved is lost.

Both use a real 2 MiB tmpfs, mounted for the test (root only: skipped, with
the reason, where mounting is not allowed).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path

import pytest

from nexthub.store import ChatStore, DatabaseReadOnlyError, DatabaseUnreadableError, DiskFullError
from tests.small_disk import SmallDisk, fill_up


def test_a_full_disk_is_a_clear_error_and_loses_nothing(small_disk: SmallDisk, key: bytes) -> None:
    db_path = small_disk.where / "data" / "chats.db"
    store = ChatStore.open(db_path, key, flush_interval_s=0.01)
    try:
        conversation = store.create_conversation("before the disk filled")
        saved = [
            store.add_message(conversation.id, "user", f"saved {n} " * 50, parent_id=None)
            for n in range(5)
        ]
        answer_id = store.start_answer(conversation.id, saved[-1].id, "model")
        store.append_to_answer(answer_id, "streamed before ")
        store.flush_answers()

        filler = fill_up(small_disk.where)
        with pytest.raises(DiskFullError, match=r"disk holding the chat database .* is full"):
            for n in range(200):  # the WAL has a little room left; this uses it up
                store.add_message(conversation.id, "user", f"big {n} " * 2000, parent_id=None)
        # A streamed answer: the background commit fails, the next append says so,
        # and the text stays in memory for when there is room again.
        store.append_to_answer(answer_id, "and during " * 3000)
        deadline = time.monotonic() + 5
        with pytest.raises(DiskFullError):
            while time.monotonic() < deadline:
                store.append_to_answer(answer_id, "")
                time.sleep(0.01)
        with pytest.raises(DiskFullError):
            store.finish_answer(answer_id, "stop")
        # Everything saved before can still be read.
        assert [m.content for m in store.all_messages(conversation.id)][:5] == [
            m.content for m in saved
        ]

        filler.unlink()  # room again: the same calls work, nothing was dropped
        finished = store.finish_answer(answer_id, "stop")
        assert finished.content == "streamed before " + "and during " * 3000
        store.add_message(conversation.id, "user", "after", parent_id=None)
    finally:
        store.close()
    with ChatStore.open(db_path, key) as reopened:
        reopened.check_integrity()
        contents = [m.content for m in reopened.all_messages(conversation.id)]
        assert contents[:5] == [m.content for m in saved]
        assert finished.content in contents and contents[-1] == "after"


def digest(folder: Path) -> dict[str, str]:
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_a_read_only_disk_is_a_clear_error(small_disk: SmallDisk, key: bytes) -> None:
    db_path = small_disk.where / "data" / "chats.db"
    with ChatStore.open(db_path, key) as store:
        store.add_message(store.create_conversation("kept").id, "user", "hi", parent_id=None)
    before = digest(small_disk.where)
    small_disk.remount("ro")
    try:
        with pytest.raises(DatabaseReadOnlyError, match="read-only"):
            ChatStore.open(db_path, key)
        with pytest.raises(DatabaseReadOnlyError, match="read-only"):
            ChatStore.open(small_disk.where / "other" / "chats.db", key)
        assert digest(small_disk.where) == before
    finally:
        small_disk.remount("rw")
    with ChatStore.open(db_path, key) as store:
        assert store.count_conversations() == 1


def test_closing_on_a_full_disk_then_reopening(small_disk: SmallDisk, key: bytes) -> None:
    """Closed while full, the checkpoint stops half way: the file alone is inconsistent.

    The WAL still holds everything. A wrong key is still told apart from
    that (page 1 is authentic), and the right key opens it with all its data.
    """
    db_path = small_disk.where / "data" / "chats.db"
    store = ChatStore.open(db_path, key)
    conversation = store.create_conversation("written into the WAL")
    message = store.add_message(conversation.id, "user", "kept " * 100, parent_id=None)
    filler = fill_up(small_disk.where)
    with pytest.raises(DiskFullError):
        for n in range(200):
            store.add_message(conversation.id, "user", f"big {n} " * 2000, parent_id=None)
    store.close()
    filler.unlink()
    before = digest(small_disk.where)
    assert "data/chats.db-wal" in before
    with pytest.raises(DatabaseUnreadableError):
        ChatStore.open(db_path, secrets.token_bytes(32))
    assert digest(small_disk.where) == before
    with ChatStore.open(db_path, key) as reopened:
        reopened.check_integrity()
        assert reopened.get_message(message.id).content == "kept " * 100
