"""The baseline: the store's own statements on stdlib sqlite3, without the store's Python.

Every statement comes from the store's modules (their SQL constants) or is the
one they build, with the same values bound; the run traces this side and
``ChatStore`` on a plain connection and reports any difference as a failure.
What this side leaves out is everything the store does in Python around the
SQL: the lock, records, checks, the streaming buffers.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from store_corpus import MODEL
from store_files import connect_plain

from nexthub.store import conversations, messages, migrations
from nexthub.store.records import now_text

# The search module's own statements, so that the plain side cannot drift from them.
from nexthub.store.search import (
    _RANK_MESSAGES,
    _SNIPPETS,
    _TITLES,
    ELLIPSIS,
    SNIPPET_TOKENS,
    fts_query,
)

PAGE = 50  # list_conversations' default page: what the UI asks for
USAGE: dict[str, Any] = {
    "prompt_tokens": 812,
    "completion_tokens": 300,
    "time_to_first_token_s": 0.21,
    "prompt_tokens_per_s": 950.0,
    "decode_tokens_per_s": 31.5,
}
# conversations.update() builds these two from the columns it sets.
SET_LEAF = "UPDATE conversations SET active_leaf_id = ?, updated = ? WHERE id = ?"
TOUCH = "UPDATE conversations SET updated = ? WHERE id = ?"


class PlainSql:
    """The store's statements on a stdlib sqlite3 connection, without the store's Python."""

    name = "plain"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._stream: list[str] = []
        self._wrote = False  # the store runs PRAGMA optimize on close only after a write
        conn.execute("PRAGMA recursive_triggers=on;")  # as sqlite_utils.Database(conn) does

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
            self._wrote = True
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _add(
        self, conv: str, parent: str | None, role: str, content: str, model: str | None
    ) -> str:
        message_id = str(uuid.uuid4())
        complete = 0 if model else 1  # only start_answer names a model, and it is incomplete
        with self._write():
            self.conn.execute(conversations.EXISTS, [conv]).fetchone()
            if parent is not None:
                self.conn.execute(messages.CONVERSATION_OF, [parent]).fetchone()
            values = [message_id, conv, parent, role, content, now_text(), complete, model]
            self.conn.execute(messages.INSERT, values)
            self.conn.execute(SET_LEAF, [message_id, now_text(), conv])
        return message_id

    def add_message(self, conv: str, parent: str | None, role: str, content: str) -> str:
        """ChatStore.add_message."""
        return self._add(conv, parent, role, content, None)

    def start_stream(self, conv: str, parent: str | None) -> str:
        """ChatStore.start_answer."""
        self._stream = []
        return self._add(conv, parent, "assistant", "", MODEL)

    def flush(self, answer_id: str, pieces: Sequence[str]) -> None:
        """append_to_answer (kept in memory, as the store does), then the background commit."""
        self._stream.extend(pieces)
        text, self._stream = "".join(self._stream), []
        with self._write():
            self.conn.execute(messages.APPEND, [text, answer_id])

    def finish(self, answer_id: str) -> None:
        """ChatStore.finish_answer."""
        pending, self._stream = "".join(self._stream), []
        with self._write():
            values = [None, pending, "stop", *USAGE.values(), answer_id]
            row = self.conn.execute(messages.FINISH, values).fetchall()[0]
            self.conn.execute(TOUCH, [now_text(), row[1]])

    def answer(self, conv: str, parent: str | None, pieces: Sequence[str]) -> str:
        """start_answer, append_to_answer per piece, finish_answer."""
        answer_id = self.start_stream(conv, parent)
        self._stream.extend(pieces)
        self.finish(answer_id)
        return answer_id

    def _page(self, offset: int) -> int:
        return len(self.conn.execute(conversations.PAGE_ARCHIVED, [0, PAGE, offset]).fetchall())

    def first_page(self) -> int:
        """list_conversations()."""
        return self._page(0)

    def walk(self) -> int:
        """count_conversations(), then every page of list_conversations."""
        total = self.conn.execute(conversations.COUNT_ARCHIVED, [0]).fetchone()[0]
        return sum(self._page(offset) for offset in range(0, total, PAGE))

    def search(self, text: str) -> int:
        """ChatStore.search(text): titles, message ranking, then the winners' snippets."""
        params = {"query": fts_query(text), "limit": 20, "open": "[", "close": "]", "archived": 1}
        titles = self.conn.execute(_TITLES, params).fetchall()
        ranks = dict(self.conn.execute(_RANK_MESSAGES, params).fetchall())
        if not ranks:
            return len(titles)
        more = {"ellipsis": ELLIPSIS, "tokens": SNIPPET_TOKENS, "rowids": json.dumps(list(ranks))}
        return len(titles) + len(self.conn.execute(_SNIPPETS, {**params, **more}).fetchall())

    def close(self) -> None:
        """Close as the store does."""
        if self._wrote:
            self.conn.execute("PRAGMA optimize")
        self.conn.close()


def open_plain_sql(path: Path, trace: Callable[[str], object] | None = None) -> None:
    """Open, first page, close: the statements the store's open, list and close issue."""
    conn = connect_plain(sqlite3, path)
    conn.set_trace_callback(trace)
    side = PlainSql(conn)
    if conn.execute(migrations.FIND_LOG).fetchone() is not None:  # apply_migrations' check
        conn.execute(migrations.READ_LOG).fetchall()
    side.first_page()
    side.close()
