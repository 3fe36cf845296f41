"""The store benchmark's files: one per side, same schema, same rows, same statistics.

Plain files get NextHub's schema from its own migrations on a plain connection
and are opened as the store opens its own (URI, autocommit, the store's
pragmas, WAL, the same page cache); the encrypted file is made through
``EncryptedDatabase``. Rows are bulk-loaded with the same INSERTs into every
file, so the same FTS triggers index them.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
import time
from pathlib import Path
from typing import Any, cast

import sqlcipher3
from sqlite_utils import Database
from store_corpus import INSERT_CONVERSATION, INSERT_MESSAGE, SET_LEAF, Corpus

from nexthub.store.database import BUSY_TIMEOUT_S, CONNECTION_PRAGMAS, EncryptedDatabase
from nexthub.store.migrations import MIGRATIONS, apply_migrations, m001_initial

CACHE_SIZE = -8000  # SQLCipher's compiled-in page cache; the plain side gets the same


class _SkipFtsSecureDelete:
    """Runs m001 on a SQLite older than 3.44, which lacks FTS5's secure-delete option."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def execute(self, sql: str, *args: Any) -> Any:
        return None if "'secure-delete'" in sql else self._db.execute(sql, *args)


def _m001_plain(db: Database) -> None:
    m001_initial(cast(Database, _SkipFtsSecureDelete(db)))


_m001_plain.__name__ = "m001_initial"  # recorded under the same name
FTS_SECURE_DELETE = sqlite3.sqlite_version_info >= (3, 44, 0)


@functools.cache
def fts5_triggers_untrusted(module: Any) -> bool:
    """Whether this SQLite lets a trigger write an FTS5 table with ``trusted_schema = OFF``.

    An older one (before FTS5 was marked innocuous) refuses with "unsafe use of
    virtual table"; the plain side then keeps SQLite's default, ``ON``.
    """
    conn = module.connect(":memory:", isolation_level=None)
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("CREATE TABLE t(x)")
        conn.execute("CREATE VIRTUAL TABLE f USING fts5(x, content='t')")
        conn.execute("CREATE TRIGGER g AFTER INSERT ON t BEGIN INSERT INTO f VALUES (new.x); END")
        conn.execute("INSERT INTO t VALUES ('a')")
    except module.OperationalError:
        return False
    finally:
        conn.close()
    return True


def connect_plain(module: Any, path: Path, *, create: bool = False) -> Any:
    """A plain connection opened as the store opens its own: URI, autocommit, its
    pragmas, WAL, and SQLCipher's page cache size."""
    uri = f"{path.as_uri()}?mode={'rwc' if create else 'rw'}"
    conn = module.connect(
        uri, uri=True, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_S
    )
    for pragma, value in CONNECTION_PRAGMAS:
        if pragma != "trusted_schema" or fts5_triggers_untrusted(module):
            conn.execute(f"PRAGMA {pragma} = {value}")
    conn.execute(f"PRAGMA cache_size = {CACHE_SIZE}")
    conn.execute("PRAGMA journal_mode = WAL").fetchone()
    return conn


def build(corpus: Corpus, path: Path, key: bytes | None, module: Any = sqlite3) -> float:
    """Make one file and bulk-load it; seconds taken.

    ``key``: an encrypted file through ``EncryptedDatabase.open``; else a plain
    file through ``module`` (stdlib sqlite3, or sqlcipher3 with no key).
    Statistics as the store's ``PRAGMA optimize`` leaves them: ``ANALYZE`` with
    an analysis limit fills ``sqlite_stat1`` and not ``sqlite_stat4``.
    """
    begin = time.perf_counter()
    if key is not None:
        database = EncryptedDatabase.open(path, key)
        apply_migrations(database)
    else:
        database = EncryptedDatabase(path, connect_plain(module, path, create=True))
        exact = module is not sqlite3 or FTS_SECURE_DELETE
        apply_migrations(database, MIGRATIONS if exact else (_m001_plain,))
    by_conversation = itertools.groupby(corpus.messages, key=lambda row: row[2])
    messages = {conv: list(rows) for conv, rows in by_conversation}
    leaves = {leaf[2]: leaf for leaf in corpus.leaves}
    for start in range(0, len(corpus.conversations), 1000):
        chunk = corpus.conversations[start : start + 1000]
        with database.write() as db:
            db.conn.executemany(INSERT_CONVERSATION, chunk)
            db.conn.executemany(INSERT_MESSAGE, (m for c in chunk for m in messages.get(c[3], [])))
            db.conn.executemany(SET_LEAF, (leaves[c[3]] for c in chunk if c[3] in leaves))
    with database.write() as db:
        db.execute("PRAGMA analysis_limit = 2000")
        db.execute("ANALYZE")
    database.close()
    return time.perf_counter() - begin


def describe_schemas(files: dict[str, Path], key: bytes) -> str:
    """How the plain files' schemas compare with the encrypted file's."""
    conns = {
        "plain": sqlite3.connect(files["plain"]),
        "store-unkeyed": sqlcipher3.connect(str(files["store-unkeyed"])),
        "encrypted": sqlcipher3.connect(str(files["encrypted"])),
    }
    conns["encrypted"].execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    schema_sql = (
        "SELECT type, name, tbl_name, sql FROM sqlite_master "
        "WHERE name NOT LIKE 'sqlite_stat%' ORDER BY name"
    )
    config_sql = "SELECT k, v FROM messages_fts_config ORDER BY k"
    try:
        schemas = {name: conn.execute(schema_sql).fetchall() for name, conn in conns.items()}
        configs = {name: conn.execute(config_sql).fetchall() for name, conn in conns.items()}
        stat4 = conns["encrypted"].execute("SELECT count(*) FROM sqlite_stat4").fetchone()[0]
    finally:
        for conn in conns.values():
            conn.close()
    parts = []
    for name in ("plain", "store-unkeyed"):
        same = schemas[name] == schemas["encrypted"]
        text = f"{name}: tables, indexes, triggers {'identical' if same else 'DIFFER'}"
        if configs[name] != configs["encrypted"]:
            text += (
                f" but FTS5 'secure-delete' is off (SQLite {sqlite3.sqlite_version} lacks it; "
                "it changes deletions only, which are not timed)"
            )
        parts.append(text)
    return "; ".join(parts) + f"; sqlite_stat4 rows in the encrypted file: {stat4}"
