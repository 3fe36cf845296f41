"""Benchmark: from launching `nexthub` to a usable desktop window (target: at most 1.0 s).

Each run starts a fresh interpreter on the real start-up path
(cold_start_child.py: `nexthub`'s main with a probe) over an installation
that has chats: a key-file-protected store (no passphrase to type, no keyring
round trip) holding ``--chats`` conversations, first run done. "Usable" is
the first event-loop turn after the window is shown with the sidebar listing
the conversations and an empty chat ready for typing. The model's load
starts in the background at that moment and is not counted, as the target
says. An installed NextHub has its bytecode compiled (pip does it), so the
child may write ``__pycache__`` (PYTHONDONTWRITEBYTECODE is dropped for it)
and a first, uncounted run compiles what is missing and warms the disk
cache; the median of the counted runs is the figure to compare.

Not part of the test run; run it on demand, on an otherwise idle machine:

    .venv/bin/python tests/bench/bench_cold_start.py [--runs 7] [--chats 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keyring.backends import fail

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from nexthub.paths import AppPaths  # noqa: E402
from nexthub.service.settings import AppSettings, write_settings  # noqa: E402
from nexthub.store import ChatStore  # noqa: E402
from nexthub.store.keys import KeyProtection, KeyStore  # noqa: E402

TARGET_S = 1.0
CHILD = Path(__file__).with_name("cold_start_child.py")


def make_installation(home: Path, chats: int) -> None:
    """An installation with ``chats`` conversations of 10 messages each."""
    os.environ["NEXTHUB_HOME"] = str(home)
    paths = AppPaths.from_environment()
    paths.ensure()
    key = KeyStore(paths, keyring_backend=fail.Keyring(), environ={}).create(KeyProtection.KEY_FILE)
    with ChatStore.open(paths.chats_db_file, key) as store:
        for number in range(chats):
            conversation = store.create_conversation(f"Chat number {number}")
            parent = None
            for turn in range(10):
                role = "user" if turn % 2 == 0 else "assistant"
                text = f"Message {turn} of chat {number}: " + "words " * 40
                parent = store.add_message(conversation.id, role, text, parent_id=parent).id
    write_settings(paths.settings_file, AppSettings(welcomed=True, gpu_layers=0, threads=1))


def one_start(home: Path) -> float:
    """Seconds from launching the process to its usable window."""
    env = {
        **os.environ,
        "NEXTHUB_HOME": str(home),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    launched = time.time()
    done = subprocess.run(
        [sys.executable, str(CHILD)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("usable ")]
    if not lines:
        raise SystemExit(f"the app did not become usable:\n{done.stdout}\n{done.stderr}")
    return float(lines[0].split()[1]) - launched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nexthub-cold-start-") as folder:
        home = Path(folder)
        make_installation(home, args.chats)
        one_start(home)  # compiles bytecode, warms the disk cache: not counted
        seconds = [one_start(home) for _ in range(args.runs)]
    median = statistics.median(seconds)
    print(f"cold start to a usable window ({args.chats} chats, {args.runs} runs)")
    print("  runs:   " + "  ".join(f"{s:.3f}" for s in seconds) + " s")
    print(f"  median: {median:.3f} s   best: {min(seconds):.3f} s   target: {TARGET_S:.1f} s")
    print(f"  median / target: {median / TARGET_S:.2f}x")
    if args.json:
        args.json.write_text(
            json.dumps({"runs_s": seconds, "median_s": median, "chats": args.chats})
        )


if __name__ == "__main__":
    main()
