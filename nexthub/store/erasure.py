"""Deleting so that the text is gone from every page, not only from the tables.

Three things keep deleted text around in SQLite, and each is dealt with:

- Table and index pages: ``PRAGMA secure_delete = ON`` (database.py) overwrites
  freed cells and free pages with zeros.
- The FTS5 index: by default a delete only adds a "delete marker", and the
  terms stay in the old segments until they are merged. Small deletes use
  FTS5's ``secure-delete`` option, which removes the row's terms from the
  segments at once (its cost grows with the rows deleted); big ones switch it
  off, delete, and ``optimize`` (rewrite the index as one segment; its cost
  grows with the whole index). Measured at 100,000 messages (docs/STORE.md):
  secure-delete ~6-25 ms a message, optimize ~1.5-2 s, so the switch is at
  :data:`SECURE_DELETE_MAX_ROWS` or 1/500 of the index, whichever is more.
- The WAL: old frames keep old page images until the WAL is reused, so every
  deletion ends with ``wal_checkpoint(TRUNCATE)`` (ChatStore does it after the
  commit), which copies the zeroed pages into the file and empties the WAL.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlite_utils import Database

#: Deletes of at most this many indexed messages use FTS5 secure-delete.
SECURE_DELETE_MAX_ROWS = 100
#: ... or of at most this fraction of the index, when that is more.
SECURE_DELETE_MAX_FRACTION = 1 / 500


def use_optimize(rows_to_delete: int, rows_indexed: int) -> bool:
    """Whether deleting ``rows_to_delete`` of ``rows_indexed`` should end in an optimize."""
    limit = max(SECURE_DELETE_MAX_ROWS, int(rows_indexed * SECURE_DELETE_MAX_FRACTION))
    return rows_to_delete > limit


@contextlib.contextmanager
def erasing_messages(db: Database, rows_to_delete: int) -> Iterator[None]:
    """Wrap the deletion of ``rows_to_delete`` indexed messages so the FTS index forgets them.

    Must run inside the deleting transaction.
    """
    if rows_to_delete == 0:
        yield
        return
    rows_indexed = db.execute("SELECT count(*) FROM messages_fts_docsize").fetchone()[0]
    if not use_optimize(rows_to_delete, rows_indexed):
        yield
        return
    db.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 0)")
    yield
    db.execute("INSERT INTO messages_fts(messages_fts) VALUES ('optimize')")
    db.execute("INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1)")
