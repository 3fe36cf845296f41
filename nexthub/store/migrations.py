"""The schema, as numbered migrations applied when the database is opened.

Each migration is a plain function ``mNNN_name(db)`` taking a
``sqlite_utils.Database`` inside an open transaction. They run in order, each
in its own transaction with foreign-key enforcement off (SQLite's recipe for
schema changes: a rebuilt table must not fire ``ON DELETE`` actions) and a
``foreign_key_check`` before it commits, and each is recorded by name in
``_migrations``. A database that records a migration this version does not
know was written by a newer NextHub and is not opened.

To change the schema, append ``m002_…`` to :data:`MIGRATIONS`; never edit one
that has shipped. For a change ``ALTER TABLE`` cannot make, use sqlite-utils'
``table.transform()`` (tested on a SQLCipher connection), then call
:func:`create_fts_triggers`: rebuilding a table drops its triggers.

Planned next: ``attachments`` (id, message_id REFERENCES messages(id) ON DELETE
CASCADE, name, media type, bytes), inside this encrypted file like everything
else, deleted with its message.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlite_utils import Database

from nexthub.store.database import EncryptedDatabase
from nexthub.store.errors import DatabaseTooNewError
from nexthub.store.records import now_text

Migration = Callable[[Database], None]

_TABLES = (
    """
    CREATE TABLE conversations (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        updated TEXT NOT NULL,
        model TEXT,
        system_prompt TEXT NOT NULL DEFAULT '',
        sampling TEXT NOT NULL DEFAULT '{}',
        pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
        archived INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1)),
        active_leaf_id TEXT REFERENCES messages(id) ON DELETE SET NULL
    )
    """,
    # parent_id has no ON DELETE action: a subtree is deleted in one statement
    # (a cascade would recurse once per level and stop at SQLite's trigger
    # depth on a long chat), and deferring the check lets that statement delete
    # parents before children.
    """
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id TEXT REFERENCES messages(id) DEFERRABLE INITIALLY DEFERRED,
        role TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
        content TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL,
        complete INTEGER NOT NULL DEFAULT 1 CHECK (complete IN (0, 1)),
        model TEXT,
        finish_reason TEXT,
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        time_to_first_token_s REAL,
        prompt_tokens_per_s REAL,
        decode_tokens_per_s REAL
    )
    """,
)

# No index ever holds content or titles: ANALYZE's sqlite_stat4 keeps samples of
# index keys, and those must never be chat text.
_INDEXES = (
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, parent_id)",
    "CREATE INDEX messages_by_parent ON messages(parent_id)",
    "CREATE INDEX messages_unfinished ON messages(conversation_id) WHERE complete = 0",
    "CREATE INDEX conversations_by_update ON conversations(archived, pinned, updated)",
    "CREATE INDEX conversations_by_active_leaf ON conversations(active_leaf_id)",
)

# External-content FTS5 tables: the text lives once, in the tables above; the
# integer primary keys (``seq``) keep rowids stable through VACUUM.
# ``secure-delete`` makes FTS5 remove a deleted row's terms from its segments
# instead of adding a delete marker (see erasure.py).
_FTS = (
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='seq',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE VIRTUAL TABLE conversations_fts USING fts5(
        title, content='conversations', content_rowid='seq',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    "INSERT INTO messages_fts(messages_fts, rank) VALUES ('secure-delete', 1)",
    "INSERT INTO conversations_fts(conversations_fts, rank) VALUES ('secure-delete', 1)",
)

#: Keep the FTS indexes in step with the tables, in the same transaction. An
#: answer is indexed once it is complete, not on every streamed piece.
FTS_TRIGGERS: dict[str, str] = {
    "messages_fts_insert": """
        CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.complete = 1
        BEGIN
            INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
        END
    """,
    "messages_fts_delete": """
        CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.complete = 1
        BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                VALUES ('delete', old.seq, old.content);
        END
    """,
    "messages_fts_update": """
        CREATE TRIGGER messages_fts_update AFTER UPDATE OF content, complete ON messages
        WHEN old.complete = 1 OR new.complete = 1
        BEGIN
            INSERT INTO messages_fts(messages_fts, rowid, content)
                SELECT 'delete', old.seq, old.content WHERE old.complete = 1;
            INSERT INTO messages_fts(rowid, content)
                SELECT new.seq, new.content WHERE new.complete = 1;
        END
    """,
    "conversations_fts_insert": """
        CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations
        BEGIN
            INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
        END
    """,
    "conversations_fts_delete": """
        CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations
        BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
                VALUES ('delete', old.seq, old.title);
        END
    """,
    "conversations_fts_update": """
        CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations
        BEGIN
            INSERT INTO conversations_fts(conversations_fts, rowid, title)
                VALUES ('delete', old.seq, old.title);
            INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
        END
    """,
}


def create_fts_triggers(db: Database) -> None:
    """(Re)create the triggers that keep the FTS indexes in sync."""
    for name, sql in FTS_TRIGGERS.items():
        db.execute(f"DROP TRIGGER IF EXISTS {name}")
        db.execute(sql)


def m001_initial(db: Database) -> None:
    """Conversations, messages (a tree per conversation), and full-text search."""
    for statement in (*_TABLES, *_INDEXES, *_FTS):
        db.execute(statement)
    create_fts_triggers(db)


def m002_api_usage(db: Database) -> None:
    """The localhost API's usage log: raw calls, and their daily totals (usage.py).

    Metadata only, no content; ``model`` is '' in the totals for "none" so
    that it can be part of the primary key the fold upserts into.
    """
    db.execute(
        """
        CREATE TABLE api_calls (
            seq INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            key_prefix TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            model TEXT,
            status INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            latency_ms INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX api_calls_by_time ON api_calls(at)")
    db.execute(
        """
        CREATE TABLE api_usage_daily (
            day TEXT NOT NULL,
            key_prefix TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            calls INTEGER NOT NULL,
            failed INTEGER NOT NULL,
            prompt_tokens INTEGER NOT NULL,
            completion_tokens INTEGER NOT NULL,
            latency_ms INTEGER NOT NULL,
            PRIMARY KEY (day, key_prefix, endpoint, model)
        ) WITHOUT ROWID
        """
    )


#: Every migration, in order. Append only.
MIGRATIONS: tuple[Migration, ...] = (m001_initial, m002_api_usage)

_CREATE_LOG = """
    CREATE TABLE IF NOT EXISTS _migrations (
        name TEXT PRIMARY KEY,
        applied TEXT NOT NULL
    )
"""


#: The two statements of :func:`applied_migrations`: is there a log, and what it records.
FIND_LOG = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'"
READ_LOG = "SELECT name FROM _migrations ORDER BY rowid"


def applied_migrations(db: Database) -> list[str]:
    """Names recorded in ``_migrations``, oldest first (empty for a new file)."""
    if db.execute(FIND_LOG).fetchone() is None:
        return []
    return [row[0] for row in db.execute(READ_LOG)]


def apply_migrations(
    database: EncryptedDatabase, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction.

    Returns the names applied now. Raises :class:`DatabaseTooNewError`, having
    changed nothing, if the file records migrations this version lacks.
    """
    names = [migration.__name__ for migration in migrations]
    with database.read() as db:
        done = applied_migrations(db)
    unknown = [name for name in done if name not in names]
    if unknown:
        raise DatabaseTooNewError(database.path, unknown)
    applied: list[str] = []
    for migration in migrations:
        if migration.__name__ in done:
            continue
        with database.write(foreign_keys=False) as db:
            db.execute(_CREATE_LOG)
            # Another process may have applied it since we looked.
            if db.execute(
                "SELECT 1 FROM _migrations WHERE name = ?", [migration.__name__]
            ).fetchone():
                continue
            migration(db)
            db.execute(
                "INSERT INTO _migrations (name, applied) VALUES (?, ?)",
                [migration.__name__, now_text()],
            )
        applied.append(migration.__name__)
    return applied
