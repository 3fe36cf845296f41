"""The store's sides of the benchmark: ``ChatStore`` through its public methods only.

The same store runs on three connections: a stdlib one (adds the store's Python
to the baseline), an unkeyed SQLCipher one (adds SQLCipher's own SQLite) and
the real, keyed one (adds the cipher). The timing code calls every side, the
plain baseline (store_plain.py) included, through the same method names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

from store_corpus import MODEL
from store_files import connect_plain
from store_plain import PAGE, USAGE, PlainSql

from nexthub.store import ChatStore
from nexthub.store.database import EncryptedDatabase
from nexthub.store.migrations import apply_migrations
from nexthub.store.streaming import FLUSH_INTERVAL_S

#: The four sides, in the order of the report: encrypted / plain = code x sqlite x cipher.
SIDES = ("plain", "store-plain", "store-unkeyed", "encrypted")


class StoreSide:
    """A ChatStore, used through its public methods only."""

    def __init__(self, name: str, store: ChatStore, conn: Any = None) -> None:
        self.name = name
        self.store = store
        self.conn = conn  # the connection under a plain-connection store, for tracing

    def add_message(self, conv: str, parent: str | None, role: str, content: str) -> str:
        """ChatStore.add_message."""
        return self.store.add_message(conv, cast(Any, role), content, parent_id=parent).id

    def start_stream(self, conv: str, parent: str | None) -> str:
        """ChatStore.start_answer."""
        return self.store.start_answer(conv, parent, MODEL)

    def flush(self, answer_id: str, pieces: Sequence[str]) -> None:
        """append_to_answer per piece, then the commit the background thread would make."""
        for piece in pieces:
            self.store.append_to_answer(answer_id, piece)
        self.store.flush_answers()

    def finish(self, answer_id: str) -> None:
        """ChatStore.finish_answer."""
        self.store.finish_answer(answer_id, "stop", **USAGE)

    def answer(self, conv: str, parent: str | None, pieces: Sequence[str]) -> str:
        """start_answer, append_to_answer per piece, finish_answer. No background commit
        comes between: the pieces arrive faster than the flush interval."""
        answer_id = self.start_stream(conv, parent)
        for piece in pieces:
            self.store.append_to_answer(answer_id, piece)
        self.finish(answer_id)
        return answer_id

    def first_page(self) -> int:
        """list_conversations()."""
        return len(self.store.list_conversations(limit=PAGE))

    def walk(self) -> int:
        """count_conversations(), then every page of list_conversations."""
        total = self.store.count_conversations()
        pages = (self.store.list_conversations(limit=PAGE, offset=o) for o in range(0, total, PAGE))
        return sum(len(page) for page in pages)

    def search(self, text: str) -> int:
        """ChatStore.search(text)."""
        return len(self.store.search(text))

    def close(self) -> None:
        """ChatStore.close."""
        self.store.close()


Side = PlainSql | StoreSide
Trace = Callable[[str], object] | None


def plain_store(module: Any, path: Path, trace: Trace = None) -> tuple[ChatStore, Any]:
    """ChatStore over a plain connection of ``module`` (the store's code, no cipher)."""
    conn = connect_plain(module, path)
    conn.set_trace_callback(trace)
    database = EncryptedDatabase(path, conn)
    apply_migrations(database)  # nothing to apply: this checks, as ChatStore.open does
    return ChatStore(database, flush_interval_s=FLUSH_INTERVAL_S), conn


def open_plain_store(module: Any, path: Path, trace: Trace = None) -> None:
    """Open, first page, close, with the store's code on a plain connection."""
    store, _ = plain_store(module, path, trace)
    store.list_conversations(limit=PAGE)
    store.close()


def open_encrypted(path: Path, key: bytes) -> None:
    """ChatStore.open (keying, cipher checks, pragmas, migration check; the read-only
    key probe only if a WAL is there), first page, close."""
    store = ChatStore.open(path, key)
    store.list_conversations(limit=PAGE)
    store.close()
