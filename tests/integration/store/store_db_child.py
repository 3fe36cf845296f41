"""A child process for the store's integration tests (run as a script, not collected).

``stream DB KEYHEX``: keeps adding messages and streaming answers until it
is killed, and reports on stdout what it knows to be committed:

- ``M <id>``: a message was added (add_message returned: committed);
- ``F <id> <pieces>``: an answer was finished with that many pieces;
- ``S <id>``: an answer was started;
- ``C <id> <chars>``: the answer's committed text has at least this length
  (read back from the database, so really committed);
- ``A <id> <pieces>``: this many pieces have been appended so far (not
  necessarily committed yet: the parent checks they are, a moment later).

Answers are made of the pieces ``w0 w1 w2 …`` (each with a trailing space),
so the text left after a kill must be a whole run of them from the start.

``plaintext DB KEYHEX MARKER``: fills a store with MARKER in titles, system
prompts and messages (streamed, branched, searched, one conversation
deleted), prints ``OPEN`` and waits for a line on stdin with the store still
open (so the WAL is there to be scanned), then closes it and prints ``CLOSED``.
"""

from __future__ import annotations

import itertools
import logging
import sys
import time
from pathlib import Path

from nexthub.paths import AppPaths
from nexthub.store import ChatStore


def piece(n: int) -> str:
    """The n-th piece of every streamed answer."""
    return f"w{n} "


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def stream_forever(store: ChatStore) -> None:
    existing = store.list_conversations(limit=1)
    conversation = existing[0] if existing else store.create_conversation("kill test")
    branch = store.current_branch(conversation.id)
    parent = branch[-1].id if branch else None
    for turn in itertools.count():
        question = store.add_message(conversation.id, "user", f"question {turn}", parent_id=parent)
        say(f"M {question.id}")
        answer_id = store.start_answer(conversation.id, question.id, "model")
        say(f"S {answer_id}")
        last_check = time.monotonic()
        pieces = 600 if turn % 2 == 0 else 10**9  # every other answer streams until killed
        for n in range(pieces):
            store.append_to_answer(answer_id, piece(n))
            time.sleep(0.0002)
            if time.monotonic() - last_check > 0.02:
                last_check = time.monotonic()
                say(f"A {answer_id} {n + 1}")
                say(f"C {answer_id} {len(store.get_message(answer_id).content)}")
        store.finish_answer(answer_id, "stop")
        say(f"F {answer_id} {pieces}")
        parent = answer_id


def fill_with_marker(store: ChatStore, marker: str) -> None:
    made = []
    for n in range(3):
        conversation = store.create_conversation(
            f"{marker} title {n}", system_prompt=f"system {marker}", sampling={"note": marker}
        )
        question = store.add_message(conversation.id, "user", f"ask {marker} " * 50, parent_id=None)
        for _attempt in range(2):
            answer_id = store.start_answer(conversation.id, question.id, "model")
            for word in ("streamed", marker, "text"):
                store.append_to_answer(answer_id, word + " ")
            store.finish_answer(answer_id, "stop")
        store.add_message(conversation.id, "user", f"edited {marker}", parent_id=None)
        store.rename_conversation(conversation.id, f"renamed {marker} {n}")
        made.append(conversation.id)
    assert store.search(marker)
    store.list_conversations(archived=None, limit=1000)  # a sort without an index
    store.delete_conversation(made[0])  # this also empties the WAL
    # Then more, so that the WAL holds the marker while the parent looks.
    unfinished = store.start_answer(conversation.id, question.id, "model")
    store.append_to_answer(unfinished, f"still streaming {marker}")
    store.flush_answers()
    store.add_message(conversation.id, "user", f"last {marker}", parent_id=None)


def main() -> None:
    mode, db, key_hex = sys.argv[1:4]
    key = bytes.fromhex(key_hex)
    paths = AppPaths.from_environment().ensure()
    logging.basicConfig(filename=paths.logs / "store-test.log", level=logging.DEBUG)
    store = ChatStore.open(Path(db), key)
    if mode == "stream":
        stream_forever(store)
    elif mode == "plaintext":
        fill_with_marker(store, sys.argv[4])
        say("OPEN")
        sys.stdin.readline()
        store.close()
        say("CLOSED")
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
