"""Deleting is final: the deleted text is on no page of the file and in no WAL frame.

Proof by decryption, with the key: every page of the file (free pages too)
and every WAL frame is decrypted (store_db_pages.py) and searched for a marker
that was in the title, the system prompt and the messages (streamed answers,
branches, overflow pages, FTS segments). A second marker in a conversation
that is kept must be found: the control that the search sees content at all.
And the safeguards are switched off one at a time, to show that each is what
makes the marker disappear.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
import sqlcipher3
from store_db_pages import (
    check_plain_copy,
    decrypt_database,
    decrypt_wal,
    found_in,
    write_plain_copy,
)

from nexthub.store import ChatStore, database, erasure


def marker(prefix: str) -> str:
    """A word no other text shares a long prefix with (FTS stores terms prefix-compressed)."""
    return prefix + secrets.token_hex(8)


def populate(store: ChatStore, doomed_marker: str, kept_marker: str) -> str:
    """A conversation full of ``doomed_marker`` and one with ``kept_marker``; the first's id."""
    doomed = store.create_conversation(
        f"Title {doomed_marker}", system_prompt=f"Prompt {doomed_marker}"
    )
    question = store.add_message(
        doomed.id, "user", f"Question about {doomed_marker} please", parent_id=None
    )
    for attempt in range(2):  # an answer and a regenerated one: two branches
        answer_id = store.start_answer(doomed.id, question.id, "model")
        for word in ("Streamed", doomed_marker, "answer", str(attempt)):
            store.append_to_answer(answer_id, word + " ")
        store.finish_answer(answer_id, "stop")
    store.add_message(doomed.id, "user", f"Edited {doomed_marker}", parent_id=None)
    # Long enough to need overflow pages.
    store.add_message(doomed.id, "user", f"{doomed_marker} long " * 3000, parent_id=question.id)

    kept = store.create_conversation(f"Kept {kept_marker}", system_prompt=f"P {kept_marker}")
    store.add_message(kept.id, "user", f"Keep {kept_marker} around", parent_id=None)
    return doomed.id


def sqlcipher_export(db_path: Path, key: bytes, target: Path) -> bytes:
    """The live rows as a plaintext SQLite file (SQLCipher's own export)."""
    conn = sqlcipher3.connect(str(db_path), isolation_level=None)
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute(f"ATTACH DATABASE '{target}' AS plaintext KEY ''")
        conn.execute("SELECT sqlcipher_export('plaintext')")
        conn.execute("DETACH DATABASE plaintext")
    finally:
        conn.close()
    return target.read_bytes()


def fts_blobs(store: ChatStore) -> bytes:
    """Every FTS5 segment and index blob, straight from the shadow tables."""
    with store._db.read() as db:
        rows = db.execute(
            "SELECT block FROM messages_fts_data UNION ALL SELECT block FROM conversations_fts_data"
        ).fetchall()
    return b"".join(row[0] for row in rows if row[0] is not None)


def assert_gone(store: ChatStore, db_path: Path, key: bytes, tmp_path: Path, gone: str) -> None:
    wal = db_path.with_name(db_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the WAL was not emptied"
    image = decrypt_database(db_path, key)
    check_plain_copy(write_plain_copy(image, tmp_path / "pages.db"))  # decryption is right
    assert found_in(image, [gone]) == [], "deleted text is still on a page"
    assert found_in(decrypt_wal(wal, key), [gone]) == []
    assert found_in(fts_blobs(store), [gone]) == []
    exported = sqlcipher_export(db_path, key, tmp_path / "export.db")
    assert found_in(exported, [gone]) == []


@pytest.fixture(params=["fts-secure-delete", "fts-optimize"])
def fts_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways the FTS index forgets: secure-delete (small), optimize (big deletes)."""
    if request.param == "fts-optimize":
        monkeypatch.setattr(erasure, "SECURE_DELETE_MAX_ROWS", 0)
        monkeypatch.setattr(erasure, "SECURE_DELETE_MAX_FRACTION", 0)
    return str(request.param)


def test_a_deleted_conversation_is_on_no_page(
    db_path: Path, key: bytes, tmp_path: Path, fts_path: str
) -> None:
    doomed, kept = marker("zqx"), marker("kpw")
    store = ChatStore.open(db_path, key, flush_interval_s=0.01)
    try:
        conversation_id = populate(store, doomed, kept)
        image = decrypt_database(db_path, key) + decrypt_wal(db_path.with_name("chats.db-wal"), key)
        assert found_in(image, [doomed, kept]) == [doomed, kept]  # the search sees content
        assert found_in(fts_blobs(store), [doomed, kept]) == [doomed, kept]

        store.delete_conversation(conversation_id)
        assert_gone(store, db_path, key, tmp_path, doomed)  # while open
        image = decrypt_database(db_path, key)
        assert found_in(image, [kept]) == [kept]
        assert store.search(doomed) == [] and len(store.search(kept)) == 2
    finally:
        store.close()
    assert found_in(decrypt_database(db_path, key), [doomed]) == []  # and after close


def test_a_deleted_message_and_its_subtree_are_on_no_page(
    db_path: Path, key: bytes, tmp_path: Path, fts_path: str
) -> None:
    doomed, kept = marker("zqy"), marker("kpv")
    with ChatStore.open(db_path, key, flush_interval_s=0.01) as store:
        conversation = store.create_conversation("Plain title")
        root = store.add_message(conversation.id, "user", f"Root {kept}", parent_id=None)
        branch = store.add_message(conversation.id, "assistant", "branch", parent_id=root.id)
        store.add_message(conversation.id, "user", f"Later {doomed} " * 500, parent_id=branch.id)
        store.add_message(conversation.id, "assistant", f"{doomed} reply", parent_id=root.id)
        for message in store.siblings(branch.id):
            if message.id != branch.id:
                store.delete_message(message.id)
        store.delete_message(branch.id)
        assert [m.content for m in store.all_messages(conversation.id)] == [f"Root {kept}"]
        assert_gone(store, db_path, key, tmp_path, doomed)
        assert found_in(decrypt_database(db_path, key), [kept]) == [kept]


# -- each safeguard is needed: without it, the same check finds the marker -------------------


def delete_and_scan(db_path: Path, key: bytes) -> tuple[str, bytes, bytes]:
    """Populate, delete; the marker, the decrypted file and WAL (with the store still open)."""
    doomed, kept = marker("zqw"), marker("kpu")
    with ChatStore.open(db_path, key, flush_interval_s=0.01) as store:
        store.delete_conversation(populate(store, doomed, kept))
        wal = db_path.with_name(db_path.name + "-wal")
        return doomed, decrypt_database(db_path, key), decrypt_wal(wal, key)


def test_control_without_secure_delete_the_marker_stays_in_free_space(
    db_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    pragmas = tuple(
        ("secure_delete", "OFF") if name == "secure_delete" else (name, value)
        for name, value in database.CONNECTION_PRAGMAS
    )
    monkeypatch.setattr(database, "CONNECTION_PRAGMAS", pragmas)
    doomed, image, _wal = delete_and_scan(db_path, key)
    assert found_in(image, [doomed]) == [doomed]


def test_control_without_fts_secure_delete_the_terms_stay_in_the_index(
    db_path: Path, key: bytes
) -> None:
    doomed, kept = marker("zqv"), marker("kpt")
    with ChatStore.open(db_path, key, flush_interval_s=0.01) as store:
        conversation_id = populate(store, doomed, kept)
        with store._db.write() as db:
            db.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 0)")
        store.delete_conversation(conversation_id)
        assert found_in(fts_blobs(store), [doomed]) == [doomed]
        assert found_in(decrypt_database(db_path, key), [doomed]) == [doomed]


def test_control_without_the_checkpoint_the_wal_keeps_the_marker(
    db_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database.EncryptedDatabase, "checkpoint", lambda self: True)
    doomed, _image, wal = delete_and_scan(db_path, key)
    assert found_in(wal, [doomed]) == [doomed]
