"""The query planner's statistics hold no chat text.

This SQLCipher is built with STAT4: a full ``ANALYZE`` would fill
``sqlite_stat4`` with samples of index keys, words of the chats included
(seen in the store benchmark). The store only ever runs ``PRAGMA optimize``,
which fills ``sqlite_stat1`` with counts; this keeps it that way.
"""

from __future__ import annotations

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
