"""SQLCipher does not encrypt SQLite's temporary files: they must never be made.

A big ``ORDER BY`` spills sorted rows to a temp file (``etilqs_*``, unlinked
at once, so no directory listing shows it). With ``temp_store = FILE`` that
file holds the rows in plaintext: the control below reads it back through
``/proc/self/fd``. The store's connection keeps ``temp_store = MEMORY``, and
the same sort opens no file at all.
"""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

import pytest
from store_db_pages import found_in

from nexthub.store.database import EncryptedDatabase

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads open files through /proc/self/fd"
)


def open_temp_files() -> list[bytes]:
    """The contents of this process's open, deleted SQLite temp files."""
    contents = []
    for fd in Path("/proc/self/fd").iterdir():
        try:
            if "etilqs_" in str(fd.readlink()):
                contents.append(fd.read_bytes())
        except OSError:
            continue
    return contents


def spill_a_sort(database: EncryptedDatabase, marker: str, temp_store: str) -> list[bytes]:
    """Sort more rows than the page cache holds; the temp files open mid-sort."""
    with database.read() as db:
        db.execute(f"PRAGMA temp_store = {temp_store}")
        db.execute("PRAGMA cache_size = 10")
        cursor = db.execute("SELECT x FROM spill ORDER BY substr(x, 3) DESC")
        cursor.fetchone()
        seen = open_temp_files()
        cursor.fetchall()
        db.execute("PRAGMA temp_store = MEMORY")
        db.execute("PRAGMA cache_size = -8000")
    return [data for data in seen if found_in(data, [marker])]


def test_sorts_stay_in_memory_because_temp_files_would_be_plaintext(
    db_path: Path, key: bytes
) -> None:
    marker = "tmpq" + secrets.token_hex(8)
    database = EncryptedDatabase.open(db_path, key)
    try:
        with database.write() as db:
            db.execute("CREATE TABLE spill (x TEXT)")
            db.execute(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) "
                "INSERT INTO spill SELECT printf('%06d ', i) || ? || ' ' || hex(randomblob(150)) "
                "FROM n",
                [marker],
            )
        assert spill_a_sort(database, marker, "FILE"), "control: a FILE sort spills plaintext"
        assert spill_a_sort(database, marker, "MEMORY") == []
    finally:
        database.close()
