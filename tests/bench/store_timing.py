"""Timing the store benchmark: samples rotated between sides, and the statement check.

Calls rotate between the sides (which one goes first changes every sample), so
that noise from a shared machine reaches all of them. Before an operation is
timed, the plain side and ``ChatStore`` on a plain connection run it once
traced; a difference in the statements they issue is reported.
"""

from __future__ import annotations

import difflib
import gc
import re
import sqlite3
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlcipher3
from store_corpus import MODEL, Corpus
from store_plain import open_plain_sql
from store_sides import Side, open_encrypted, open_plain_store

from nexthub.store import ChatStore

FLUSH_PIECES = 10  # what ~0.1 s of streaming appends before a background commit
SAMPLES = {"open": 25, "first_page": 100, "walk": 5, "add": 150, "answer": 40, "flush": 80}


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
