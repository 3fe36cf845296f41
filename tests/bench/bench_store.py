"""Store benchmark: NextHub's encrypted chat store against plain SQLite, same workload.

Why: every chat is kept in one SQLCipher file (docs/STORE.md). This measures
what that costs a user and checks the targets of the store issue: for each
operation the encrypted store takes at most 1.5 times what plain SQLite takes
for the same work (compared on medians; p95 shown), and a search of 100,000
messages takes under 20 ms (median).

* **plain**: the stdlib ``sqlite3`` module and its own SQLite, issuing exactly
  the statements the store issues, without the store's Python (store_plain.py).
* **encrypted**: ``ChatStore.open(path, key)`` with a random 32-byte key, timed
  through public ``ChatStore`` methods only (store_sides.py).

Two more sides say where a ratio comes from: ``ChatStore`` over a stdlib
connection and over an unkeyed SQLCipher connection: encrypted / plain =
code x sqlite x cipher. Every side has its own file (store_files.py) with the
same rows (store_corpus.py); calls rotate between sides (store_timing.py).
Writes wait for fsync, so they measure the disk too: ``--dir`` on a tmpfs
measures the CPU alone. See tests/bench/README.md.

Run (about 1-2 minutes on 2 cores at the defaults):
    .venv/bin/python tests/bench/bench_store.py [--messages N] [--conversations N]
        [--json OUT] [--strict] [--dir DIR]
"""

from __future__ import annotations

import argparse
import gc
import json
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlcipher3
from store_corpus import make_corpus
from store_files import build, connect_plain, describe_schemas
from store_machine import load_average, machine, passphrase_unlock
from store_plain import PlainSql
from store_report import print_report, summarise
from store_sides import SIDES, Side, StoreSide, plain_store
from store_timing import Run, append_micro, measure_opens, measure_work

from nexthub.store import ChatStore


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
    info["load_average_end"] = load_average()
    print(
        f"\n(total {time.perf_counter() - begin:.0f} s; load average at the end {load_average()})"
    )
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
