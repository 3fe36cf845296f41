"""Full-text search over message text and conversation titles (FTS5, in the encrypted file).

The user's words are matched as words, never as FTS5 syntax: each is quoted,
all must match, and the last one also matches as a prefix (search as you
type). Matching ignores case and accents (``unicode61 remove_diacritics 2``).
Only complete messages are indexed: an answer joins the index when it
finishes.

Ranking: FTS5's bm25 (lower is better), best first. The snippet is computed
only for the rows returned: the ranking query picks the rowids, a second
query makes their snippets.
"""

from __future__ import annotations

import json
from typing import Any, cast

from sqlite_utils import Database

from nexthub.store.records import Role, SearchHit

#: Words of context a message snippet shows around the matches (FTS5 caps it at 64).
SNIPPET_TOKENS = 24
ELLIPSIS = "…"


def fts_query(text: str) -> str | None:
    """The FTS5 query for what the user typed, or None when there is nothing to look for."""
    words = [word for word in text.split() if any(ch.isalnum() for ch in word)]
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)


_RANK_MESSAGES = """
    SELECT messages_fts.rowid, messages_fts.rank
    FROM messages_fts
    JOIN messages m ON m.seq = messages_fts.rowid
    JOIN conversations c ON c.id = m.conversation_id
    WHERE messages_fts MATCH :query AND (:archived OR c.archived = 0)
    ORDER BY messages_fts.rank LIMIT :limit
"""

_SNIPPETS = """
    SELECT messages_fts.rowid, m.id, m.conversation_id, m.role, c.title,
           snippet(messages_fts, 0, :open, :close, :ellipsis, :tokens)
    FROM messages_fts
    JOIN messages m ON m.seq = messages_fts.rowid
    JOIN conversations c ON c.id = m.conversation_id
    WHERE messages_fts MATCH :query
      AND messages_fts.rowid IN (SELECT value FROM json_each(:rowids))
"""

_TITLES = """
    SELECT c.id, c.title, highlight(conversations_fts, 0, :open, :close),
           conversations_fts.rank
    FROM conversations_fts
    JOIN conversations c ON c.seq = conversations_fts.rowid
    WHERE conversations_fts MATCH :query AND (:archived OR c.archived = 0)
    ORDER BY conversations_fts.rank LIMIT :limit
"""


def _message_hits(db: Database, params: dict[str, Any]) -> list[SearchHit]:
    ranks: dict[int, float] = dict(db.execute(_RANK_MESSAGES, params).fetchall())
    if not ranks:
        return []
    rows = db.execute(
        _SNIPPETS,
        {
            **params,
            "ellipsis": ELLIPSIS,
            "tokens": SNIPPET_TOKENS,
            "rowids": json.dumps(list(ranks)),
        },
    ).fetchall()
    return [
        SearchHit(
            conversation_id=conversation_id,
            conversation_title=title,
            message_id=message_id,
            role=cast(Role, role),
            snippet=snippet,
            rank=float(ranks[seq]),
        )
        for seq, message_id, conversation_id, role, title, snippet in rows
    ]


def _title_hits(db: Database, params: dict[str, Any]) -> list[SearchHit]:
    return [
        SearchHit(
            conversation_id=conversation_id,
            conversation_title=title,
            message_id=None,
            role=None,
            snippet=highlighted,
            rank=float(rank),
        )
        for conversation_id, title, highlighted, rank in db.execute(_TITLES, params).fetchall()
    ]


def search(
    db: Database,
    text: str,
    *,
    limit: int,
    markers: tuple[str, str],
    include_archived: bool,
) -> list[SearchHit]:
    """The best ``limit`` hits among titles and messages for ``text``, best first."""
    query = fts_query(text)
    if query is None or limit <= 0:
        return []
    open_marker, close_marker = markers
    params: dict[str, Any] = {
        "query": query,
        "limit": limit,
        "open": open_marker,
        "close": close_marker,
        "archived": int(include_archived),
    }
    hits = _title_hits(db, params) + _message_hits(db, params)
    hits.sort(key=lambda hit: hit.rank)
    return hits[:limit]
