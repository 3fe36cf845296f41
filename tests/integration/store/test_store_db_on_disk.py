"""What reaches the disk: never plaintext; and a kill -9 never loses committed text."""

from __future__ import annotations

import os
import random
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from store_db_pages import decrypt_wal, found_in

from nexthub.store import ChatStore

ROOT = Path(__file__).resolve().parents[3]
CHILD = Path(__file__).with_name("store_db_child.py")
ROUNDS = 20


def child(mode: str, db_path: Path, key: bytes, *extra: str) -> subprocess.Popen[str]:
    home = Path(os.environ["NEXTHUB_HOME"])
    temp = home / "tmp"  # SQLite's temp files, if any, would land here
    temp.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TMPDIR": str(temp), "SQLITE_TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(CHILD), mode, str(db_path), key.hex(), *extra],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def files_holding(folder: Path, marker: str) -> list[str]:
    return [
        str(path.relative_to(folder))
        for path in sorted(folder.rglob("*"))
        if path.is_file() and found_in(path.read_bytes(), [marker])
    ]


def test_no_file_ever_holds_plaintext(nexthub_home: Path, db_path: Path, key: bytes) -> None:
    marker = "plainq" + secrets.token_hex(8)
    with child("plaintext", db_path, key, marker) as process:
        assert process.stdout is not None and process.stdin is not None
        assert process.stdout.readline().strip() == "OPEN"
        wal = db_path.with_name(db_path.name + "-wal")
        shm = db_path.with_name(db_path.name + "-shm")
        assert wal.exists() and shm.exists()
        # The control: the WAL really holds the marker, encrypted.
        assert found_in(decrypt_wal(wal, key), [marker]) == [marker]
        files = {p.name for p in nexthub_home.rglob("*") if p.is_file()}
        assert {"chats.db", "chats.db-wal", "chats.db-shm", "store-test.log"} <= files
        assert files_holding(nexthub_home, marker) == []  # while open, WAL and all
        process.stdin.write("close\n")
        process.stdin.flush()
        assert process.stdout.readline().strip() == "CLOSED"
        assert process.wait(timeout=30) == 0
    assert files_holding(nexthub_home, marker) == []  # and after close
    assert not wal.exists()
    with ChatStore.open(db_path, key) as store:  # the control: the marker is in there
        assert len(store.search(marker, limit=100)) > 5


def read_lines(
    process: subprocess.Popen[str],
    lines: list[tuple[float, list[str]]],
    streaming: threading.Event,
) -> None:
    """Collect the child's lines, each with the time it arrived; flag the first append."""
    assert process.stdout is not None
    for line in process.stdout:
        lines.append((time.monotonic(), line.split()))
        if line.startswith("A "):
            streaming.set()


def assert_whole_pieces(text: str, at_least_chars: int = 0, at_least_pieces: int = 0) -> None:
    """``text`` is ``w0 w1 … wN `` exactly: nothing reordered, torn or invented."""
    words = text.split(" ")
    assert words[-1] == "", "a piece was cut in half"
    assert words[:-1] == [f"w{n}" for n in range(len(words) - 1)]
    assert len(text) >= at_least_chars
    assert len(words) - 1 >= at_least_pieces, (
        f"lost appended text: {len(words) - 1} pieces on disk, {at_least_pieces} appended"
    )


def wait_for_a_moment_to_kill(
    round_number: int, rng: random.Random, started_streaming: threading.Event
) -> None:
    """Sometimes while the child starts (opening, migrating), mostly while it streams.

    Streaming rounds count from its first append, so a slow start on a busy
    machine does not shrink the window that is checked.
    """
    if round_number % 4 == 0:
        time.sleep(rng.uniform(0.05, 0.4))
        return
    assert started_streaming.wait(timeout=30), "the child never started streaming"
    time.sleep(rng.uniform(0.6, 1.3))


#: Text appended this long before the kill must be on disk: the flush interval
#: (0.1 s) plus a commit, with room for a busy machine.
LOSS_WINDOW_S = 0.5


def test_kill_9_while_streaming_never_loses_committed_text(db_path: Path, key: bytes) -> None:
    rng = random.Random(20)  # noqa: S311 - timing jitter, not secrets
    committed: dict[str, int | None] = {}  # message id -> pieces (answers) or None
    deadline = time.monotonic() + 100
    checked_window = 0
    for round_number in range(ROUNDS):
        assert time.monotonic() < deadline, f"too slow: {round_number} rounds done"
        lines: list[tuple[float, list[str]]] = []
        with child("stream", db_path, key) as process:
            started_streaming = threading.Event()
            reader = threading.Thread(target=read_lines, args=(process, lines, started_streaming))
            reader.start()
            wait_for_a_moment_to_kill(round_number, rng, started_streaming)
            killed_at = time.monotonic()
            process.send_signal(signal.SIGKILL)
            process.wait()
            reader.join()

        streaming: dict[str, tuple[int, int]] = {}  # id -> (chars committed, pieces due)
        for arrived, (kind, message_id, *rest) in lines:
            if kind == "M":
                committed[message_id] = None
            elif kind == "S":
                streaming[message_id] = (0, 0)
            elif kind == "C":
                chars, due = streaming[message_id]
                streaming[message_id] = (max(chars, int(rest[0])), due)
            elif kind == "A" and arrived < killed_at - LOSS_WINDOW_S:
                chars, due = streaming[message_id]
                streaming[message_id] = (chars, max(due, int(rest[0])))
                checked_window += 1
            elif kind == "F":
                committed[message_id] = int(rest[0])
                streaming.pop(message_id)

        with ChatStore.open(db_path, key) as store:
            store.check_integrity()
            for message_id, pieces in committed.items():
                message = store.get_message(message_id)
                assert message.complete
                if pieces is not None:
                    assert_whole_pieces(message.content, at_least_pieces=pieces)
            for message_id, (chars, due) in streaming.items():
                message = store.get_message(message_id)
                assert not message.complete
                assert_whole_pieces(message.content, at_least_chars=chars, at_least_pieces=due)
            # What the app does on the next start: close the cut-off answers.
            for message in store.unfinished_answers():
                assert_whole_pieces(message.content)
                store.finish_answer(message.id, "interrupted")
                committed[message.id] = 0
    assert len(committed) > ROUNDS  # the children really wrote
    assert checked_window > 50  # and the loss window was really measured
