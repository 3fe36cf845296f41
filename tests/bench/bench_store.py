"""Store benchmark: NextHub's encrypted chat store against plain SQLite, same workload.

Why: every chat is kept in one SQLCipher file (docs/STORE.md). This measures
what that costs a user and checks the targets of the store issue: for each
operation the encrypted store takes at most 1.5 times what plain SQLite takes
for the same work (compared on medians; p95 shown), and a search of 100,000
messages takes under 20 ms (median).

Workload: conversations (default 10,000) holding messages (default 100,000,
spread evenly) of English-like text: sentences from word lists (a real head of
common words and a long synthetic tail, Zipf frequencies, fixed seed), with a
few rare words planted in known numbers of messages. Identical rows (ids,
timestamps, text) go into every file.

* **plain**: the stdlib ``sqlite3`` module and its own SQLite; schema made by
  NextHub's migrations on a plain connection; the store's pragmas and the page
  cache the store gets from SQLCipher (8 MB; stdlib's default is 2 MB). Timed
  operations issue exactly the statements the store issues (sqlite-utils' table
  lookups and savepoints included) without the store's Python around them. The
  run proves it: it traces this side and ``ChatStore`` on a plain connection,
  and a difference is a FAIL.
* **encrypted**: ``ChatStore.open(path, key)`` with a random 32-byte key, timed
  through public ``ChatStore`` methods only.

Two more sides say where a ratio comes from: ``ChatStore`` over a stdlib
connection (adds the store's Python) and over an unkeyed SQLCipher connection
(adds SQLCipher's newer SQLite, no cipher): encrypted / plain = code x sqlite x
cipher. Every side has its own file; calls rotate between sides so that machine
noise hits all of them alike.

Set-up is not timed: rows are bulk-loaded with the INSERTs sqlite-utils issues
for the store (the same FTS triggers index them), a transaction per 1,000
conversations, then statistics as the store's ``PRAGMA optimize`` leaves them.
"Open" is open + first page + close; for the encrypted store it includes keying
with the raw key, not the passphrase KDF (the key is random already). A
passphrase unlock through ``KeyStore`` with default parameters is timed once,
separately. Writes wait for fsync (``synchronous = FULL``), so they measure the
disk too: ``--dir`` on a tmpfs measures the CPU alone.

Run (about 2 minutes on 2 cores at the defaults):
    .venv/bin/python tests/bench/bench_store.py [--messages N] [--conversations N]
        [--json OUT] [--strict] [--dir DIR]
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import gc
import itertools
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlcipher3
from sqlite_utils import Database

from nexthub.engine.hardware import cpu_model_name
from nexthub.paths import AppPaths
from nexthub.store import ChatStore
from nexthub.store.conversations import _COLUMNS as CONVERSATION_COLUMNS
from nexthub.store.database import BUSY_TIMEOUT_S, CONNECTION_PRAGMAS, EncryptedDatabase
from nexthub.store.key_kdf import Argon2idParams, default_kdf
from nexthub.store.keys import KeyProtection, KeyStore
from nexthub.store.messages import COLUMNS as MESSAGE_COLUMNS
from nexthub.store.migrations import MIGRATIONS, apply_migrations, m001_initial
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
from nexthub.store.streaming import FLUSH_INTERVAL_S

RATIO_LIMIT = 1.5
SEARCH_MEDIAN_LIMIT_S = 0.020
PAGE = 50  # list_conversations' default page: what the UI asks for
CACHE_SIZE = -8000  # SQLCipher's compiled-in page cache; the plain side gets the same
ANSWER_PIECES = 300  # tokens of a typical answer, appended one by one
FLUSH_PIECES = 10  # what ~0.1 s of streaming appends before a background commit
SEED = 20250101
#: Planted words, and in how many of 100,000 messages each is (scaled to --messages).
RARE_WORDS = {
    "quokka": 2,
    "zeppelin": 8,
    "marmalade": 30,
    "kerfuffle": 100,
    "xylophone": 400,
    "gazpacho": 1500,
}
SAMPLES = {"open": 25, "first_page": 100, "walk": 5, "add": 150, "answer": 40, "flush": 80}
USAGE: dict[str, Any] = {
    "prompt_tokens": 812,
    "completion_tokens": ANSWER_PIECES,
    "time_to_first_token_s": 0.21,
    "prompt_tokens_per_s": 950.0,
    "decode_tokens_per_s": 31.5,
}
MODEL = "qwen2.5-7b-instruct-q4_k_m"
SIDES = ("plain", "store-plain", "store-unkeyed", "encrypted")

# -- the text ----------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    """The words of ``text``, each once, in order (a word's rank sets its frequency)."""
    return list(dict.fromkeys(text.split()))


NOUNS = _words("""
model file answer question code function error example time list table data user page
server request value string number test problem result idea way name version script
project report message line word image key price recipe city train book garden budget
meeting email phone note plan team customer order account password database query index
window screen button setting folder document letter story song movie game player market
company product service network computer laptop battery memory disk kitchen dinner lunch
breakfast coffee tea bread cheese soup salad sauce oven pan knife weather rain snow summer
winter morning evening weekend holiday trip flight hotel room ticket map road bridge river
mountain beach forest village country language grammar sentence paragraph chapter essay
summary translation teacher student lesson course exam doctor symptom medicine exercise
sleep diet muscle habit goal schedule deadline task loop variable class method module
package library framework compiler thread process branch commit merge review bug patch
release feature interface template pattern format chart graph column row formula cell
sheet invoice receipt contract tax salary loan plant flower tree seed soil water light
color shape size weight distance speed camera photo video lens speaker sound voice music
guitar piano drum concert friend family parent child brother sister neighbor colleague
manager interview resume
""")
VERBS = _words("""
use make get find write read run check try change add remove fix explain show keep build
test send open close start stop save load move copy compare choose create update delete
install configure print return call define sort filter count measure cook bake boil slice
mix serve plan book visit travel pack learn teach study translate summarize describe
improve reduce increase avoid prevent handle support replace rename convert parse format
export import upload download share review merge deploy restart debug
""")
ADJECTIVES = _words("""
good new simple small large quick easy hard short long old clear wrong right better best
different important useful common main full empty local remote private public free cheap
expensive fast slow safe secure broken missing extra final first last next previous
current healthy fresh warm cold hot sweet spicy quiet busy early late daily weekly monthly
complex modern classic basic advanced careful strange typical
""")
ADVERBS = _words("""
quickly carefully usually often always never again already still really probably exactly
directly easily slowly together instead later today tomorrow finally
""")
PREPOSITIONS = _words("in on for with from to about into after before without between over")
SYLLABLES = _words("""
ka to ri mo sen dal vor en an ti lo ber mar co lin da ros el ga nu fi ve pa tre sol min
gor al is um bar cel dor fen hu
""")
#: Synthetic words after each real list: real text has tens of thousands of rare words.
TAIL_SIZES = {"N": 12_000, "A": 2_000, "V": 500}
TEMPLATES = (
    "the {A} {N} {V}s a {N} {P} the {N}.",
    "could you {V} the {N} {P} my {A} {N}?",
    "{X} said the {N} {V}s {D} after the {A} {N}.",
    "when I {V} the {N}, it {V}s {P} {#} {N}s.",
    "you can {V} a {A} {N} {P} the {N} and then {V} it {D}.",
    "this {N} is {A} because the {N} {V}s {P} the {A} {N}.",
    "we {V} {#} {N}s {P} {X} and the {N} was {A}.",
    "{D}, the {N} of the {N} {V}s the {A} {N}.",
    "make sure the {N} {V}s {D} before you {V} the {N}.",
    "here is a {A} way to {V} the {N}: {V} the {N}, then {V} it {D}.",
    "why does my {N} {V} {P} the {N}?",
    "I {V} {X} {P} the {A} {N} last {N}.",
    "the {N} {P} {X} has {#} {A} {N}s.",
    "first {V} the {N}, then {V} the {A} {N} {P} the {N}.",
)
TITLES = ("{A} {N} question", "{V} the {N}", "{X} {N} notes", "help with {N} {N}", "{N} {P} {X}")
SLOT = re.compile(r"\{([ANVDPX#])\}")


class TextMaker:
    """English-like sentences from the word lists, deterministic for a seed."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        taken = set(NOUNS + VERBS + ADJECTIVES + ADVERBS + PREPOSITIONS) | set(RARE_WORDS)

        def invent(count: int, syllables: tuple[int, int]) -> list[str]:
            made: dict[str, None] = {}
            while len(made) < count:
                n = rng.randint(*syllables)
                word = "".join(rng.choice(SYLLABLES) for _ in range(n))
                if word not in taken:
                    made[word] = None
            taken.update(made)
            return list(made)

        self.names = [name.capitalize() for name in invent(3000, (2, 3))]
        self.vocabulary = {
            "N": NOUNS + invent(TAIL_SIZES["N"], (2, 4)),
            "V": VERBS + invent(TAIL_SIZES["V"], (2, 3)),
            "A": ADJECTIVES + invent(TAIL_SIZES["A"], (2, 4)),
            "D": ADVERBS,
            "P": PREPOSITIONS,
            "X": self.names,
        }
        # Zipf: weight 1/(rank + 2), so a few words are common and most are rare.
        self._cum = {
            cls: list(itertools.accumulate(1.0 / (rank + 2) for rank in range(len(words))))
            for cls, words in self.vocabulary.items()
        }

    def word(self, cls: str) -> str:
        """One word of class ``cls`` (N, V, A, D, P, X), drawn by frequency."""
        return self._rng.choices(self.vocabulary[cls], cum_weights=self._cum[cls])[0]

    def fill(self, template: str) -> str:
        """The template with each slot drawn from its word class."""

        def draw(match: re.Match[str]) -> str:
            cls = match.group(1)
            if cls == "#":
                return str(self._rng.choice((2, 3, 5, 10, 12, 24, 100, 512, 2024, 2025)))
            return self.word(cls)

        return SLOT.sub(draw, template)

    def sentences(self, count: int) -> list[str]:
        """``count`` sentences, capitalised."""
        made = (self.fill(self._rng.choice(TEMPLATES)) for _ in range(count))
        return [s[0].upper() + s[1:] for s in made]


@dataclass
class Corpus:
    """The rows every file gets, and what the timed operations use."""

    conversations: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    leaves: list[tuple[str, str, str]] = field(default_factory=list)  # (leaf, updated, conv)
    queries: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    prompts: list[str] = field(default_factory=list)
    answers: list[list[str]] = field(default_factory=list)


#: The INSERTs sqlite-utils issues for ``create_conversation`` and ``add_message``
#: (columns sorted), the second with a finished answer's columns added.
INSERT_CONVERSATION = (
    'INSERT INTO "conversations" ("active_leaf_id", "archived", "created", "id", "model", '
    '"pinned", "sampling", "system_prompt", "title", "updated") VALUES (?,?,?,?,?,?,?,?,?,?)'
)
INSERT_MESSAGE = (
    'INSERT INTO "messages" ("complete", "content", "conversation_id", "created", "id", '
    '"model", "parent_id", "role", "finish_reason", "prompt_tokens", "completion_tokens", '
    '"time_to_first_token_s", "prompt_tokens_per_s", "decode_tokens_per_s") '
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)
SET_LEAF = "UPDATE conversations SET active_leaf_id = ?, updated = ? WHERE id = ?"


def make_corpus(messages: int, conversations: int) -> Corpus:
    """Everything from one seed: the same text on every run and in every file."""
    rng = random.Random(SEED)  # noqa: S311 - sample text, not secrets
    maker = TextMaker(rng)
    pool = maker.sentences(min(100_000, max(2_000, messages * 2)))
    corpus = Corpus()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    per, extra = divmod(messages, conversations)

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def stamp(moment: datetime) -> str:
        return moment.isoformat(timespec="microseconds")

    for n in range(conversations):
        conv_id, created = new_id(), start + timedelta(seconds=n * 3000 + rng.randint(0, 2000))
        title = maker.fill(rng.choice(TITLES)).capitalize()
        system = maker.sentences(1)[0] if rng.random() < 0.25 else ""
        sampling = json.dumps({"temperature": 0.7}) if rng.random() < 0.3 else "{}"
        pinned = int(rng.random() < 0.01)
        parent, moment = None, created
        for k in range(per + (n < extra)):
            moment += timedelta(seconds=rng.randint(5, 90))
            user = k % 2 == 0
            paragraphs = [
                " ".join(rng.choices(pool, k=1 if user else rng.randint(1, 5)))
                for _ in range(1 if user else rng.randint(1, 4))
            ]
            message_id = new_id()
            head = (1, "\n\n".join(paragraphs), conv_id, stamp(moment), message_id)
            if user:
                corpus.messages.append((*head, None, parent, "user", *(None,) * 6))
            else:
                finish = ("stop", 700, 180, 0.2, 900.0, 30.0)
                corpus.messages.append((*head, MODEL, parent, "assistant", *finish))
            parent = message_id
        if rng.random() < 0.2:  # revisited later: the list is not in creation order
            moment += timedelta(days=rng.uniform(0, 60))
        if parent is not None:
            corpus.leaves.append((parent, stamp(moment), conv_id))
        row = (None, 0, stamp(created), conv_id, MODEL, pinned, sampling, system, title)
        corpus.conversations.append((*row, stamp(moment)))
    for word, per_100k in RARE_WORDS.items():
        count = min(messages, max(1, round(per_100k * messages / 100_000)))
        for index in rng.sample(range(len(corpus.messages)), count):
            row = corpus.messages[index]
            corpus.messages[index] = (row[0], f"{row[1]} What about the {word}?", *row[2:])
    corpus.queries = _queries(rng, maker)
    corpus.prompts = [" ".join(rng.choices(pool, k=rng.randint(1, 3))) for _ in range(64)]
    for _ in range(16):
        words = " ".join(rng.choices(pool, k=40)).split()
        corpus.answers.append([word + " " for word in words[:ANSWER_PIECES]])
    return corpus


def _queries(rng: random.Random, maker: TextMaker) -> list[tuple[str, str]]:
    """60 different searches, of the kinds people type (the kind is reported too)."""
    nouns, adjectives = maker.vocabulary["N"], maker.vocabulary["A"]
    distinct = nouns[300:6000] + adjectives[200:1500]  # words that name something specific
    queries = [("rare", word) for word in RARE_WORDS] + [("rare", "kerfuf"), ("rare", "gazpa")]
    queries += [("specific word", rng.choice(distinct)) for _ in range(16)]
    queries += [("common word", nouns[i]) for i in (0, 3, 10, 30)]
    queries += [("common word", VERBS[i]) for i in (1, 15)]
    queries += [("two words", f"{maker.word('N')} {rng.choice(distinct)}") for _ in range(12)]
    queries += [("prefix", rng.choice(distinct)[: rng.randint(3, 5)]) for _ in range(10)]
    queries += [("name", rng.choice(maker.names[:1000])) for _ in range(6)]
    queries += [("number", "2024"), ("number", "version 512")]
    rng.shuffle(queries)  # so that no kind always meets a cold cache
    return queries


# -- the files -----------------------------------------------------------------------------------


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


# -- the sides -------------------------------------------------------------------------------------


class PlainSql:
    """The store's statements on a stdlib sqlite3 connection, without the store's Python."""

    name = "plain"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._stream: list[str] = []
        conn.execute("PRAGMA recursive_triggers=on;")  # as sqlite_utils.Database(conn) does

    def lookup(self) -> None:
        """sqlite-utils' check that the table exists, before each rows_where and insert."""
        self.conn.execute("select name from sqlite_master where type = 'view'").fetchall()
        self.conn.execute("select name from sqlite_master where type = 'table'").fetchall()

    def _get_message(self, message_id: str) -> tuple[Any, ...]:
        self.lookup()
        sql = f'select {MESSAGE_COLUMNS} from "messages" where id = ?'  # noqa: S608
        return cast(tuple[Any, ...], self.conn.execute(sql, [message_id]).fetchall()[0])

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _add(self, conv: str, parent: str | None, role: str, content: str, complete: int) -> str:
        message_id = str(uuid.uuid4())
        with self._write():
            self.conn.execute("SELECT 1 FROM conversations WHERE id = ?", [conv]).fetchone()
            if parent is not None:
                self._get_message(parent)
            self.lookup()
            savepoint = f"sqlite_utils_{secrets.token_hex(16)}"
            self.conn.execute(f"SAVEPOINT {savepoint};")
            model = MODEL if role == "assistant" else None
            self.conn.execute(
                'INSERT INTO "messages" ("complete", "content", "conversation_id", "created", '
                '"id", "model", "parent_id", "role") VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
                [complete, content, conv, now_text(), message_id, model, parent, role],
            )
            self.conn.execute(f"RELEASE SAVEPOINT {savepoint};")
            self._get_message(message_id)
            self.conn.execute(SET_LEAF, [message_id, now_text(), conv])
        return message_id

    def add_message(self, conv: str, parent: str | None, role: str, content: str) -> str:
        """ChatStore.add_message."""
        return self._add(conv, parent, role, content, 1)

    def start_stream(self, conv: str, parent: str | None) -> str:
        """ChatStore.start_answer."""
        self._stream = []
        return self._add(conv, parent, "assistant", "", 0)

    def flush(self, answer_id: str, pieces: Sequence[str]) -> None:
        """append_to_answer (kept in memory, as the store does), then the background commit."""
        self._stream.extend(pieces)
        text, self._stream = "".join(self._stream), []
        with self._write():
            self.conn.execute(
                "UPDATE messages SET content = content || ? WHERE id = ? AND complete = 0",
                [text, answer_id],
            )

    def finish(self, answer_id: str) -> None:
        """ChatStore.finish_answer."""
        pending, self._stream = "".join(self._stream), []
        with self._write():
            row = self._get_message(answer_id)
            self.conn.execute(
                "UPDATE messages SET content = ?, complete = 1, finish_reason = ?, "
                "prompt_tokens = ?, completion_tokens = ?, time_to_first_token_s = ?, "
                "prompt_tokens_per_s = ?, decode_tokens_per_s = ? WHERE id = ?",
                [row[4] + pending, "stop", *USAGE.values(), answer_id],
            )
            self.conn.execute(
                "UPDATE conversations SET updated = ? WHERE id = ?", [now_text(), row[1]]
            )
            self._get_message(answer_id)

    def answer(self, conv: str, parent: str | None, pieces: Sequence[str]) -> str:
        """start_answer, append_to_answer per piece, finish_answer."""
        answer_id = self.start_stream(conv, parent)
        for piece in pieces:
            self._stream.append(piece)
        self.finish(answer_id)
        return answer_id

    def _page(self, offset: int) -> int:
        self.lookup()
        sql = (
            f'select {CONVERSATION_COLUMNS} from "conversations" where archived = ? '  # noqa: S608
            f"order by pinned DESC, updated DESC, seq DESC limit {PAGE} offset {offset}"
        )
        return len(self.conn.execute(sql, [0]).fetchall())

    def first_page(self) -> int:
        """list_conversations()."""
        return self._page(0)

    def walk(self) -> int:
        """count_conversations(), then every page of list_conversations."""
        self.conn.execute("select name from sqlite_master where type = 'view'").fetchall()
        count_sql = 'select count(*) from "conversations" where archived = ?'
        total = self.conn.execute(count_sql, [0]).fetchone()[0]
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
        self.conn.execute("PRAGMA optimize")
        self.conn.close()


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


def open_plain_sql(path: Path, trace: Trace = None) -> None:
    """Open, first page, close: the statements the store's open, list and close issue."""
    conn = connect_plain(sqlite3, path)
    conn.set_trace_callback(trace)
    side = PlainSql(conn)
    side.lookup()  # apply_migrations: is there a _migrations table, what does it record
    conn.execute("SELECT name FROM _migrations ORDER BY rowid").fetchall()
    side.first_page()
    side.close()


def open_plain_store(module: Any, path: Path, trace: Trace = None) -> None:
    """Open, first page, close, with the store's code on a plain connection."""
    store, _ = plain_store(module, path, trace)
    store.list_conversations(limit=PAGE)
    store.close()


def open_encrypted(path: Path, key: bytes) -> None:
    """ChatStore.open (key probe, keying, cipher checks, pragmas, migrations), first
    page, close."""
    store = ChatStore.open(path, key)
    store.list_conversations(limit=PAGE)
    store.close()


# -- timing ------------------------------------------------------------------------------------

_LITERAL = re.compile(r"sqlite_utils_[0-9a-f]{32}|'(?:[^']|'')*'|\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b")


def normalised(statements: list[str]) -> list[str]:
    """Traced statements with values and savepoint names blanked, so that runs compare."""
    return [" ".join(_LITERAL.sub("?", statement).split()) for statement in statements]


@dataclass
class Run:
    """Every sample, by operation and side, and what the statement check found."""

    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    sql_mismatches: list[str] = field(default_factory=list)

    def time(self, op: str, calls: dict[str, Callable[[int], object]], count: int) -> None:
        """``count`` samples of each call, rotating which side goes first."""
        gc.collect()
        names = list(calls)
        times: dict[str, list[float]] = {name: [] for name in names}
        for i in range(count):
            shift = i % len(names)
            for name in names[shift:] + names[:shift]:
                begin = time.perf_counter()
                calls[name](i)
                times[name].append(time.perf_counter() - begin)
        self.samples[op] = times

    def check_sql(
        self, op: str, plain: Callable[[list[str]], object], store: Callable[[list[str]], object]
    ) -> None:
        """Run both once, traced (the warm-up too); record any difference in statements."""
        logs: tuple[list[str], list[str]] = ([], [])
        plain(logs[0])
        store(logs[1])
        left, right = normalised(logs[0]), normalised(logs[1])
        if left != right:
            diff = difflib.unified_diff(left, right, "plain", "ChatStore", lineterm="", n=1)
            self.sql_mismatches.append(f"{op}:\n" + "\n".join(list(diff)[:40]))


def traced(conn: Any, log: list[str], call: Callable[[], object]) -> None:
    """Run ``call`` with every statement on ``conn`` appended to ``log``."""
    conn.set_trace_callback(log.append)
    try:
        call()
    finally:
        conn.set_trace_callback(None)


def p95(values: Sequence[float]) -> float:
    """95th percentile, nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def measure_opens(run: Run, files: dict[str, Path], key: bytes) -> None:
    """Open + first page + close, every side on its own file, none held open meanwhile."""
    run.check_sql(
        "open",
        lambda log: open_plain_sql(files["plain"], log.append),
        lambda log: open_plain_store(sqlite3, files["store-plain"], log.append),
    )
    open_plain_store(sqlcipher3, files["store-unkeyed"])
    open_encrypted(files["encrypted"], key)
    calls: dict[str, Callable[[int], object]] = {
        "plain": lambda _: open_plain_sql(files["plain"]),
        "store-plain": lambda _: open_plain_store(sqlite3, files["store-plain"]),
        "store-unkeyed": lambda _: open_plain_store(sqlcipher3, files["store-unkeyed"]),
        "encrypted": lambda _: open_encrypted(files["encrypted"], key),
    }
    run.time("open", calls, SAMPLES["open"])


def measure_work(run: Run, sides: list[Side], corpus: Corpus) -> None:
    """Reads first (first page, all pages, search), then writes (add, answer, commits)."""
    plain, store_plain = sides[0], sides[1]

    def check(op: str, call: Callable[[Side], object]) -> None:
        run.check_sql(
            op,
            lambda log: traced(plain.conn, log, lambda: call(plain)),
            lambda log: traced(store_plain.conn, log, lambda: call(store_plain)),
        )
        for side in sides[2:]:
            call(side)  # the same warm-up

    def each(call: Callable[[Side, int], object]) -> dict[str, Callable[[int], object]]:
        def bind(side: Side) -> Callable[[int], object]:
            return lambda i: call(side, i)

        return {side.name: bind(side) for side in sides}

    check("first_page", lambda s: s.first_page())
    run.time("first_page", each(lambda s, _: s.first_page()), SAMPLES["first_page"])
    check("walk", lambda s: s.walk())
    run.time("walk", each(lambda s, _: s.walk()), SAMPLES["walk"])
    check("search", lambda s: s.search("warm up"))
    queries = [text for _, text in corpus.queries]
    run.time("search", each(lambda s, i: s.search(queries[i])), len(queries))

    # Writes go into 50 conversations spread over the file, each side continuing
    # its own branch in each.
    leaf_of = {conv: leaf for leaf, _, conv in corpus.leaves}
    targets = list(leaf_of)[:: max(1, len(leaf_of) // 50)][:50]
    chain = {(side.name, conv): leaf_of[conv] for side in sides for conv in targets}

    def add(side: Side, i: int) -> None:
        conv = targets[i % len(targets)]
        role = "user" if (i // len(targets)) % 2 == 0 else "assistant"
        text = corpus.prompts[i % len(corpus.prompts)]
        chain[side.name, conv] = side.add_message(conv, chain[side.name, conv], role, text)

    def answer(side: Side, i: int) -> None:
        conv = targets[i % len(targets)]
        pieces = corpus.answers[i % len(corpus.answers)]
        chain[side.name, conv] = side.answer(conv, chain[side.name, conv], pieces)

    check("add_message", lambda s: add(s, 0))
    run.time("add", each(add), SAMPLES["add"])
    check("answer", lambda s: answer(s, 0))
    run.time("answer", each(answer), SAMPLES["answer"])
    conv = targets[0]
    streams = {side.name: side.start_stream(conv, chain[side.name, conv]) for side in sides}
    pieces = corpus.answers[0][:FLUSH_PIECES]
    check("flush", lambda s: s.flush(streams[s.name], pieces))
    run.time("flush", each(lambda s, _: s.flush(streams[s.name], pieces)), SAMPLES["flush"])
    for side in sides:
        side.finish(streams[side.name])


def append_micro(store: ChatStore, conv: str, parent: str) -> float:
    """Median seconds of one append_to_answer (memory only: it never waits for the disk)."""
    answer_id = store.start_answer(conv, parent, MODEL)
    times = []
    for _ in range(20_000):
        begin = time.perf_counter()
        store.append_to_answer(answer_id, "token ")
        times.append(time.perf_counter() - begin)
    store.finish_answer(answer_id, "stop")
    return statistics.median(times)


def passphrase_unlock(workdir: Path) -> dict[str, Any]:
    """One KeyStore.unlock with a passphrase at the default KDF cost."""
    keys = KeyStore(AppPaths.under(workdir / "home").ensure(), environ={})
    keys.create(KeyProtection.PASSPHRASE, passphrase="correct horse battery staple")
    begin = time.perf_counter()
    keys.unlock(passphrase="correct horse battery staple")
    seconds = time.perf_counter() - begin
    kdf = default_kdf()
    if isinstance(kdf, Argon2idParams):
        name = f"Argon2id t={kdf.iterations}, m={kdf.memory_kib // 1024} MiB, p={kdf.lanes}"
    else:
        name = f"scrypt N=2^{kdf.n.bit_length() - 1}, r={kdf.r}, p={kdf.p}"
    return {"kdf": name, "seconds": seconds}


def fsync_probe(folder: Path) -> float:
    """Median seconds of a 4 KiB write + fsync in ``folder``: what every commit waits for."""
    path = folder / "fsync-probe"
    times = []
    with path.open("wb") as file:
        for n in range(50):
            file.seek(n % 8 * 4096)
            file.write(b"\0" * 4096)
            file.flush()
            begin = time.perf_counter()
            os.fsync(file.fileno())
            times.append(time.perf_counter() - begin)
    path.unlink()
    return statistics.median(times)


# -- report ------------------------------------------------------------------------------------

ROWS = {
    "add": "add_message into an existing chat",
    "answer": f"answer: start + {ANSWER_PIECES} appends + finish",
    "flush": f"streaming commit ({FLUSH_PIECES} appends + flush)",
    "open": "open + first page + close",
    "first_page": f"list_conversations, first page ({PAGE})",
    "walk": "list_conversations, count + all pages",
    "search": "search (60 different queries)",
}


def fmt(seconds: float) -> str:
    """Milliseconds, or seconds when large."""
    return f"{seconds:.2f} s" if seconds >= 10 else f"{seconds * 1e3:.2f} ms"


@dataclass
class Verdict:
    """One target's outcome."""

    name: str
    value: str
    limit: str
    passed: bool

    def line(self) -> str:
        """One PASS/FAIL line."""
        verdict = "PASS" if self.passed else "FAIL"
        return f"{verdict}  {self.name}: {self.value} (target {self.limit})"


def summarise(run: Run, corpus: Corpus) -> tuple[dict[str, Any], list[Verdict]]:
    """Medians, p95s, ratios, search by kind of query, and the targets' verdicts."""
    stats: dict[str, Any] = {}
    verdicts: list[Verdict] = []
    for op, label in ROWS.items():
        sides = {
            side: {"median_s": statistics.median(v), "p95_s": p95(v), "n": len(v)}
            for side, v in run.samples[op].items()
        }
        ratio = sides["encrypted"]["median_s"] / sides["plain"]["median_s"]
        stats[op] = {
            "label": label,
            "sides": sides,
            "ratio_median": ratio,
            "ratio_p95": sides["encrypted"]["p95_s"] / sides["plain"]["p95_s"],
        }
        name = f"{label}, encrypted / plain"
        verdicts.append(Verdict(name, f"{ratio:.2f}x", "<= 1.5x", ratio <= RATIO_LIMIT))
    kinds: dict[str, Any] = {}
    for n, (kind, _) in enumerate(corpus.queries):
        for side in ("plain", "encrypted"):
            kinds.setdefault(kind, {}).setdefault(side, []).append(run.samples["search"][side][n])
    stats["search"]["by_kind"] = {
        kind: {side: statistics.median(v) for side, v in by_side.items()}
        | {"n": len(by_side["plain"])}
        for kind, by_side in kinds.items()
    }
    search = stats["search"]["sides"]["encrypted"]["median_s"]
    limit = SEARCH_MEDIAN_LIMIT_S
    verdicts.append(Verdict("search median, encrypted", fmt(search), "< 20 ms", search < limit))
    same = not run.sql_mismatches
    verdicts.append(
        Verdict(
            "plain side issues the store's statements (traced)",
            "same" if same else f"{len(run.sql_mismatches)} operations differ",
            "same",
            same,
        )
    )
    return stats, verdicts


def print_report(stats: dict[str, Any], verdicts: list[Verdict], info: dict[str, Any]) -> None:
    """The table, search by kind of query, where the time goes, and PASS/FAIL per target."""
    print(f"\n{'operation':42} {'plain':>9} {'p95':>9} {'encrypted':>10} {'p95':>9}  ratio (p95)")
    for op, row in stats.items():
        plain, enc = row["sides"]["plain"], row["sides"]["encrypted"]
        print(
            f"{row['label']:42} {fmt(plain['median_s']):>9} {fmt(plain['p95_s']):>9} "
            f"{fmt(enc['median_s']):>10} {fmt(enc['p95_s']):>9}  "
            f"{row['ratio_median']:.2f}x ({row['ratio_p95']:.2f}x)"
            + (f"  [{info['messages']:,} messages]" if op == "search" else "")
        )
    print(f"\n{'search, by kind of query (medians)':42} {'n':>3} {'plain':>9} {'encrypted':>10}")
    for kind, row in stats["search"]["by_kind"].items():
        print(f"{kind:42} {row['n']:>3} {fmt(row['plain']):>9} {fmt(row['encrypted']):>10}")
    print(
        f"\n{'where the time goes (medians)':42} {'plain':>9} {'store-plain':>11} "
        f"{'store-unkeyed':>13} {'encrypted':>10}  {'code':>5} {'sqlite':>6} {'cipher':>6}"
    )
    for row in stats.values():
        m = [row["sides"][side]["median_s"] for side in SIDES]
        print(
            f"{row['label']:42} {fmt(m[0]):>9} {fmt(m[1]):>11} {fmt(m[2]):>13} {fmt(m[3]):>10}"
            f"  {m[1] / m[0]:>4.2f}x {m[2] / m[1]:>5.2f}x {m[3] / m[2]:>5.2f}x"
        )
    kdf = info["passphrase_unlock"]
    print(
        f"\nappend_to_answer alone (encrypted): median "
        f"{info['append_to_answer_median_s'] * 1e6:.1f} µs (memory only)\n"
        f"passphrase unlock, KeyStore.unlock ({kdf['kdf']}): {kdf['seconds']:.2f} s, once "
        "(not in 'open', which is given the raw key)\n"
    )
    for verdict in verdicts:
        print(verdict.line())


def machine(folder: Path) -> dict[str, Any]:
    """What the numbers were measured on."""
    probe = sqlcipher3.connect(":memory:")
    try:
        cipher_sqlite = probe.execute("SELECT sqlite_version()").fetchone()[0]
        cipher = probe.execute("PRAGMA cipher_version").fetchone()[0]
    finally:
        probe.close()
    return {
        "cpu": cpu_model_name(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "stdlib_sqlite": sqlite3.sqlite_version,
        "sqlcipher": f"{cipher} (SQLite {cipher_sqlite})",
        "fsync_ms": round(fsync_probe(folder) * 1e3, 2),
    }


def main(argv: list[str] | None = None) -> int:
    """Build the files, time every operation on every side, report, judge."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="default 100,000")
    parser.add_argument("--conversations", type=int, default=10_000, help="default 10,000")
    parser.add_argument("--json", type=Path, default=None, help="write all figures here")
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target fails")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the files go (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    if args.messages < 1 or args.conversations < 1:
        parser.error("--messages and --conversations must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="nexthub-bench-store-", dir=args.dir))
    try:
        return _run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _run(args: argparse.Namespace, workdir: Path) -> int:
    begin = time.perf_counter()
    info: dict[str, Any] = {"machine": machine(workdir), "messages": args.messages}
    info["conversations"] = args.conversations
    print(", ".join(f"{k}: {v}" for k, v in info["machine"].items()))
    corpus = make_corpus(args.messages, args.conversations)
    info["text_mb"] = sum(len(row[1].encode()) for row in corpus.messages) / 1e6
    print(
        f"made {len(corpus.messages):,} messages ({info['text_mb']:.0f} MB of text) in "
        f"{len(corpus.conversations):,} conversations: {time.perf_counter() - begin:.1f} s"
    )
    key = secrets.token_bytes(32)
    files = {side: workdir / f"{side}.db" for side in SIDES}
    info["build_s"] = {
        "plain": build(corpus, files["plain"], None),
        "store-unkeyed": build(corpus, files["store-unkeyed"], None, sqlcipher3),
        "encrypted": build(corpus, files["encrypted"], key),
    }
    shutil.copyfile(files["plain"], files["store-plain"])
    info["file_mb"] = {side: files[side].stat().st_size / 1e6 for side in info["build_s"]}
    print("bulk load (not timed below): " + ", ".join(
        f"{side} {info['build_s'][side]:.0f} s, {info['file_mb'][side]:.0f} MB"
        for side in info["build_s"]
    ))  # fmt: skip
    info["schema"] = describe_schemas(files, key)
    print("schema:", info["schema"])
    # The rows are loaded; keep the collector from walking them during the timings.
    corpus.messages.clear()
    corpus.conversations.clear()
    gc.collect()
    gc.freeze()

    run = Run()
    measure_opens(run, files, key)
    plain_conn = connect_plain(sqlite3, files["plain"])
    store_plain, store_plain_conn = plain_store(sqlite3, files["store-plain"])
    store_unkeyed, _ = plain_store(sqlcipher3, files["store-unkeyed"])
    encrypted = ChatStore.open(files["encrypted"], key)
    sides: list[Side] = [
        PlainSql(plain_conn),
        StoreSide("store-plain", store_plain, store_plain_conn),
        StoreSide("store-unkeyed", store_unkeyed),
        StoreSide("encrypted", encrypted),
    ]
    try:
        measure_work(run, sides, corpus)
        leaf, _, conv = corpus.leaves[-1]
        info["append_to_answer_median_s"] = append_micro(encrypted, conv, leaf)
    finally:
        for side in sides:
            side.close()
    info["passphrase_unlock"] = passphrase_unlock(workdir)

    stats, verdicts = summarise(run, corpus)
    print_report(stats, verdicts, info)
    for mismatch in run.sql_mismatches:
        print(f"\nstatements differ, {mismatch}")
    print(f"\n(total {time.perf_counter() - begin:.0f} s)")
    if args.json:
        report = {
            **info,
            "operations": stats,
            "targets": [vars(verdict) for verdict in verdicts],
            "sql_mismatches": run.sql_mismatches,
            "queries": corpus.queries,
            "samples_s": run.samples,
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 1 if args.strict and not all(verdict.passed for verdict in verdicts) else 0


if __name__ == "__main__":
    sys.exit(main())
