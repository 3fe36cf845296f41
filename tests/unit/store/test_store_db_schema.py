"""The encrypted file's settings, the migrations, and sqlite-utils on a SQLCipher connection."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3
from sqlite_utils import Database

from nexthub.store import ChatStore, DatabaseTooNewError
from nexthub.store.database import SQLCIPHER4_SETTINGS, EncryptedDatabase
from nexthub.store.migrations import (
    MIGRATIONS,
    applied_migrations,
    apply_migrations,
    create_fts_triggers,
)


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[ChatStore]:
    with ChatStore.open(db_path, key) as opened:
        yield opened


def raw_connection(path: Path, key: bytes) -> sqlcipher3.Connection:
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    return conn


def pragma(database: EncryptedDatabase, name: str) -> str:
    with database.read() as db:
        return str(db.execute(f"PRAGMA {name}").fetchone()[0])


def test_a_new_store_is_a_standard_sqlcipher4_file(db_path: Path, key: bytes) -> None:
    ChatStore.open(db_path, key).close()
    assert db_path.read_bytes()[:16] != b"SQLite format 3\x00"
    # A stock SQLCipher 4 connection (no compatibility pragma, only the key) reads it.
    conn = raw_connection(db_path, key)
    assert conn.execute("PRAGMA cipher_version").fetchone()[0].startswith("4.")
    recorded = [row[0] for row in conn.execute("SELECT name FROM _migrations")]
    assert recorded == [migration.__name__ for migration in MIGRATIONS]
    for name, expected in SQLCIPHER4_SETTINGS.items():
        assert str(conn.execute(f"PRAGMA {name}").fetchone()[0]) == expected
    conn.close()


def test_the_connection_is_set_up_for_safety(db_path: Path, key: bytes) -> None:
    database = EncryptedDatabase.open(db_path, key)
    try:
        assert pragma(database, "journal_mode") == "wal"
        assert pragma(database, "secure_delete") == "1"
        assert pragma(database, "temp_store") == "2"  # MEMORY
        assert pragma(database, "foreign_keys") == "1"
        assert pragma(database, "synchronous") == "2"  # FULL
        # Process-wide and irreversible, and it slows FTS down: must stay off.
        assert pragma(database, "cipher_memory_security") == "0"
    finally:
        database.close()


def test_migrations_are_applied_once_and_recorded_by_name(db_path: Path, key: bytes) -> None:
    database = EncryptedDatabase.open(db_path, key)
    try:
        assert apply_migrations(database) == ["m001_initial", "m002_api_usage"]
        assert apply_migrations(database) == []
        with database.read() as db:
            assert applied_migrations(db) == [m.__name__ for m in MIGRATIONS]
            tables = set(db.table_names())
        assert {"conversations", "messages", "messages_fts", "conversations_fts"} <= tables
        assert {"api_calls", "api_usage_daily"} <= tables
    finally:
        database.close()


def m100_add_column_then_fail(db: Database) -> None:
    db.execute("ALTER TABLE conversations ADD COLUMN doomed TEXT")
    raise RuntimeError("migration failed half way")


def test_a_failed_migration_is_rolled_back_and_not_recorded(db_path: Path, key: bytes) -> None:
    ChatStore.open(db_path, key).close()
    database = EncryptedDatabase.open(db_path, key)
    try:
        with pytest.raises(RuntimeError, match="half way"):
            apply_migrations(database, (*MIGRATIONS, m100_add_column_then_fail))
        with database.read() as db:
            assert "doomed" not in db.table("conversations").columns_dict
            assert applied_migrations(db) == [m.__name__ for m in MIGRATIONS]
    finally:
        database.close()


def test_a_database_from_a_newer_version_is_refused_unchanged(db_path: Path, key: bytes) -> None:
    ChatStore.open(db_path, key).close()
    conn = raw_connection(db_path, key)
    conn.execute("INSERT INTO _migrations VALUES ('m999_future', '2099-01-01')")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(DatabaseTooNewError, match="newer version"):
        ChatStore.open(db_path, key)
    assert db_path.read_bytes() == before


def m100_add_a_column_by_transform(db: Database) -> None:
    """What a later migration looks like: a rebuild with transform(), then the triggers."""
    db.table("messages").add_column("tool_name", str)
    db.table("messages").transform(types={"tool_name": str}, column_order=["seq", "id"])
    create_fts_triggers(db)


def test_a_later_migration_can_transform_a_table_on_sqlcipher(
    store: ChatStore, db_path: Path, key: bytes
) -> None:
    conversation = store.create_conversation("Transform")
    first = store.add_message(conversation.id, "user", "findable words", parent_id=None)
    answer = store.add_message(conversation.id, "assistant", "reply", parent_id=first.id)
    store.close()

    database = EncryptedDatabase.open(db_path, key)
    upgraded = ChatStore(database, flush_interval_s=0.01)
    try:
        assert apply_migrations(database, (*MIGRATIONS, m100_add_a_column_by_transform)) == [
            "m100_add_a_column_by_transform"
        ]
        with database.read() as db:
            table = db.table("messages")
            assert "tool_name" in table.columns_dict
            assert {t.name for t in table.triggers} >= {"messages_fts_insert"}
            # Foreign keys survived the rebuild and still hold.
            assert db.execute("PRAGMA foreign_key_check").fetchall() == []
            other_tables = {fk.other_table for fk in table.foreign_keys}
            assert other_tables == {"conversations", "messages"}
        # The search index still points at the right rows, and keeps in sync.
        upgraded.add_message(conversation.id, "user", "newer findable", parent_id=answer.id)
        hits = upgraded.search("findable")
        assert sorted(hit.snippet for hit in hits) == ["[findable] words", "newer [findable]"]
        upgraded.delete_message(first.id)
        assert upgraded.search("findable") == []
    finally:
        upgraded.close()


# -- sqlite-utils on a sqlcipher3 connection ---------------------------------------------------
# What NextHub uses works; what relies on catching sqlite3's exceptions does not.


@pytest.fixture
def sqlite_utils_db(db_path: Path, key: bytes) -> Iterator[Database]:
    database = EncryptedDatabase.open(db_path, key)
    try:
        with database.read() as db:
            db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)")
            yield db
    finally:
        database.close()


def test_sqlite_utils_features_we_use_work_on_sqlcipher(sqlite_utils_db: Database) -> None:
    db = sqlite_utils_db
    table = db.table("t")
    table.insert({"id": 1, "name": "one"})
    table.insert_all([{"id": 2, "name": "two"}, {"id": 3, "name": "three"}])
    table.upsert({"id": 1, "name": "uno"}, pk="id")
    assert [row["name"] for row in table.rows_where("id < ?", [3], order_by="id")] == [
        "uno",
        "two",
    ]
    assert table.count_where("name LIKE ?", ["t%"]) == 2
    table.delete_where("id = ?", [3])
    assert list(db.query("SELECT count(*) AS n FROM t")) == [{"n": 2}]
    with db.atomic(), db.atomic():  # the inner one is a savepoint
        table.insert({"id": 4, "name": "four"})
    table.create_index(["name"], if_not_exists=True)
    table.transform(rename={"name": "label"})
    assert table.columns_dict == {"id": int, "label": str}
    assert table.exists() and not db.table("nope").exists()


def test_sqlite_utils_paths_that_catch_sqlite3_errors_raise_on_sqlcipher(
    sqlite_utils_db: Database,
) -> None:
    """sqlite-utils catches sqlite3.OperationalError; sqlcipher3 raises its own class.

    If one of these starts working, sqlite-utils changed: update docs/STORE.md.
    """
    db = sqlite_utils_db
    assert not issubclass(sqlcipher3.OperationalError, __import__("sqlite3").OperationalError)
    with pytest.raises(sqlcipher3.OperationalError, match="no column named extra"):
        db.table("t").insert({"id": 9, "extra": "x"}, alter=True)
    with pytest.raises(sqlcipher3.OperationalError, match="no such table"):
        db.table("missing").drop(ignore=True)
    db.table("t").create_index(["name"])
    with pytest.raises(sqlcipher3.OperationalError, match="already exists"):
        db.table("t").create_index(["name"], find_unique_name=True)
    # query() of a write with RETURNING: the write is undone, and the connection is
    # left inside a transaction that nothing will commit.
    with pytest.raises(sqlcipher3.OperationalError, match="cannot release savepoint"):
        list(db.query("INSERT INTO t (id, name) VALUES (7, 'r') RETURNING id"))
    assert db.conn.in_transaction
    db.conn.execute("ROLLBACK")
    assert db.execute("SELECT count(*) FROM t WHERE id = 7").fetchone()[0] == 0


DATABASE_MODULES = [
    "chat_store",
    "conversations",
    "database",
    "erasure",
    "errors",
    "messages",
    "migrations",
    "records",
    "search",
    "streaming",
]


def test_the_database_modules_stand_alone() -> None:
    """store/ may mirror the engine's plain data, never import it (or any higher layer)."""
    package = Path(__file__).resolve().parents[3] / "nexthub" / "store"
    forbidden = ("nexthub.engine", "nexthub.models", "nexthub.cli", "nexthub.service")
    for name in DATABASE_MODULES:
        tree = ast.parse((package / f"{name}.py").read_text(encoding="utf-8"))
        imported = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.module
        } | {
            alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        }
        bad = sorted(m for m in imported if m.startswith(forbidden))
        assert bad == [], f"{name}.py imports {bad}"
