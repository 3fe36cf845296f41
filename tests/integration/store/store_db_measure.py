"""Measure the chat database: streaming, adding, opening, searching, deleting at scale.

Not a test (pytest does not collect it); run it by hand, and copy the numbers
into docs/STORE.md:

    .venv/bin/python tests/integration/store/store_db_measure.py --messages 100000

It builds (or reuses) a store of that many messages of 20-150 random words,
in conversations of 20, plus conversations of 2, 200 and 1000 messages to
delete, and times each operation the way a face would call it.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nexthub.store import ChatStore, erasure, messages

KEY = bytes(range(32))
SIZES = {"small": 2, "medium": 20, "large": 200, "huge": 1000}


def timed(call: Callable[[], object], repeat: int = 1) -> list[float]:
    times = []
    for _ in range(repeat):
        begin = time.perf_counter()
        call()
        times.append(time.perf_counter() - begin)
    return times


def build(path: Path, total: int) -> None:
    rng = random.Random(1)  # noqa: S311 - sample text, not secrets
    vocabulary = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10)))
        for _ in range(30000)
    ]
    with ChatStore.open(path, KEY) as store:
        made = 0
        plan = list(SIZES.items())
        plan += [(f"c{n}", 20) for n in range((total - sum(SIZES.values())) // 20)]
        for title, size in plan:
            conversation = store.create_conversation(title)
            with store._db.write() as db:
                parent = None
                for n in range(size):
                    text = " ".join(rng.choices(vocabulary, k=rng.randint(20, 150)))
                    parent = messages.insert(
                        db,
                        conversation_id=conversation.id,
                        parent_id=parent,
                        role="user" if n % 2 == 0 else "assistant",
                        content=text,
                        model=None,
                        complete=True,
                    ).id
            made += size
        print(f"built {made} messages, {path.stat().st_size / 1e6:.0f} MB")


def measure_streaming(path: Path) -> None:
    with ChatStore.open(path, KEY) as store:
        conversation = store.create_conversation("stream")
        answer_id = store.start_answer(conversation.id, None, "m")
        appends = timed(lambda: store.append_to_answer(answer_id, "token "), 20000)
        print(f"append_to_answer: median {statistics.median(appends) * 1e6:.1f} µs")
        store.flush_answers()
        commits = []
        for _ in range(100):  # one background commit's worth: ~10 tokens
            for _ in range(10):
                store.append_to_answer(answer_id, "token ")
            commits += timed(store.flush_answers)
        print(
            f"one commit of streamed text (answer ~{20000 * 6 // 1000} KB): "
            f"median {statistics.median(commits) * 1e3:.2f} ms"
        )
        per_call = []
        for _ in range(200):
            per_call += timed(
                lambda: (store.append_to_answer(answer_id, "t "), store.flush_answers())
            )
        print(f"commit on every append instead: median {statistics.median(per_call) * 1e3:.2f} ms")
        store.finish_answer(answer_id, "stop")
        adds = timed(
            lambda: store.add_message(conversation.id, "user", "hello " * 30, parent_id=None), 100
        )
        print(f"add_message: median {statistics.median(adds) * 1e3:.2f} ms")


def measure_reads(path: Path) -> None:
    opens = timed(lambda: ChatStore.open(path, KEY).close(), 5)
    print(f"open+close: median {statistics.median(opens) * 1e3:.1f} ms")
    with ChatStore.open(path, KEY) as store:
        lists = timed(lambda: store.list_conversations(limit=50), 20)
        print(f"list_conversations(50): median {statistics.median(lists) * 1e3:.2f} ms")
        by_title = {c.title: c for c in store.list_conversations(limit=10**6)}
        for title in ("c1", "huge"):
            branch_of = by_title[title].id
            branches = timed(lambda: store.current_branch(branch_of), 20)  # noqa: B023
            size = len(store.current_branch(branch_of))
            median_ms = statistics.median(branches) * 1e3
            print(f"current_branch ({size} messages): median {median_ms:.2f} ms")
        conversation = by_title["c1"]
        rng = random.Random(2)  # noqa: S311
        words = [w for m in store.current_branch(conversation.id) for w in m.content.split()]
        searches = []
        for _ in range(40):
            searches += timed(lambda: store.search(rng.choice(words), limit=20))
        print(
            f"search (one word, 20 hits): median {statistics.median(searches) * 1e3:.1f} ms, "
            f"max {max(searches) * 1e3:.1f} ms"
        )


def measure_deletes(path: Path, workdir: Path) -> None:
    for mode in ("fts secure-delete", "fts optimize"):
        for title, size in SIZES.items():
            copy = workdir / "delete.db"
            shutil.copy(path, copy)
            with ChatStore.open(copy, KEY) as store:
                target = next(c for c in store.list_conversations(limit=10000) if c.title == title)
                saved = erasure.SECURE_DELETE_MAX_ROWS, erasure.SECURE_DELETE_MAX_FRACTION
                if mode == "fts optimize":
                    erasure.SECURE_DELETE_MAX_ROWS, erasure.SECURE_DELETE_MAX_FRACTION = 0, 0
                elif mode == "fts secure-delete":
                    erasure.SECURE_DELETE_MAX_ROWS = 10**9
                try:
                    begin = time.perf_counter()
                    store.delete_conversation(target.id)
                    seconds = time.perf_counter() - begin
                finally:
                    erasure.SECURE_DELETE_MAX_ROWS, erasure.SECURE_DELETE_MAX_FRACTION = saved
            copy.unlink()
            print(f"delete {size:5} messages, {mode:18}: {seconds:.2f} s (with checkpoint)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100000)
    parser.add_argument("--path", type=Path, default=None, help="reuse a store built before")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="nexthub-store-measure-"))
    path = args.path or workdir / "chats.db"
    if not path.exists():
        build(path, args.messages)
    measure_streaming(path)
    measure_reads(path)
    measure_deletes(path, workdir)
    if args.path is None:
        print(f"(store kept at {path}: pass --path to reuse it)")


if __name__ == "__main__":
    main()
