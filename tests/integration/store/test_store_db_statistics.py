"""The query planner's statistics hold no chat text.

This SQLCipher is built with STAT4: a full ``ANALYZE`` would fill
``sqlite_stat4`` with samples of index keys, words of the chats included
(seen in the store benchmark). The store only ever runs ``PRAGMA optimize``,
which fills ``sqlite_stat1`` with counts; this keeps it that way. It runs it
on close only after a write: a session that only reads leaves the file as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import sqlcipher3

from nexthub.store import ChatStore

MARKER = "zebrafinchmarker"


def test_statistics_after_close_hold_counts_not_words(db_path: Path, key: bytes) -> None:
    with ChatStore.open(db_path, key) as store:
        for number in range(60):
            chat = store.create_conversation(f"{MARKER} title {number}")
            question = store.add_message(
                chat.id, "user", f"{MARKER} question {number}", parent_id=None
            )
            store.add_message(chat.id, "assistant", f"{MARKER} answer", parent_id=question.id)
        store.search(MARKER)

    connection = sqlcipher3.connect(str(db_path))
    try:
        connection.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        assert "sqlite_stat1" in tables, "PRAGMA optimize ran on close"
        if "sqlite_stat4" in tables:
            assert connection.execute("SELECT count(*) FROM sqlite_stat4").fetchone() == (0,)
        stat1 = " ".join(str(row) for row in connection.execute("SELECT * FROM sqlite_stat1"))
        assert MARKER not in stat1.lower()
    finally:
        connection.close()


def test_a_session_that_only_reads_leaves_the_file_as_it_was(db_path: Path, key: bytes) -> None:
    with ChatStore.open(db_path, key) as store:
        chat = store.create_conversation(f"{MARKER} title")
        store.add_message(chat.id, "user", f"{MARKER} question", parent_id=None)
    before = hashlib.sha256(db_path.read_bytes()).hexdigest()
    statements: list[str] = []
    with ChatStore.open(db_path, key) as store:
        assert [c.id for c in store.list_conversations()] == [chat.id]
        assert store.current_branch(chat.id)[0].content == f"{MARKER} question"
        assert store.search(MARKER)
        store._db._conn.set_trace_callback(statements.append)
    assert not [s for s in statements if "optimize" in s.lower()]
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == before
    assert sorted(path.name for path in db_path.parent.iterdir()) == [db_path.name]


def test_a_session_that_wrote_refreshes_the_statistics_on_close(db_path: Path, key: bytes) -> None:
    statements: list[str] = []
    with ChatStore.open(db_path, key) as store:
        store.create_conversation("one")
        store._db._conn.set_trace_callback(statements.append)
    assert "PRAGMA optimize" in statements
