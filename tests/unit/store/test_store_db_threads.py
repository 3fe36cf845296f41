"""Several threads writing, streaming, reading, searching and deleting at once."""

from __future__ import annotations

import contextlib
import secrets
import threading
from collections.abc import Callable
from pathlib import Path

from nexthub.paths import AppPaths
from nexthub.store import ChatStore, ConversationNotFoundError

WRITERS = 4
MESSAGES_PER_WRITER = 40


def run_all(workers: list[Callable[[], None]]) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(workers))

    def wrap(work: Callable[[], None]) -> None:
        start.wait()
        try:
            work()
        except BaseException as exc:  # collected, re-raised by the test
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive(), "a worker hung"
    return errors


def test_concurrent_writers_readers_and_a_stream(nexthub_home: Path) -> None:
    path = AppPaths.from_environment().data / "chats.db"
    key = secrets.token_bytes(32)
    store = ChatStore.open(path, key, flush_interval_s=0.005)
    written: dict[str, list[str]] = {}
    streamed: dict[str, str] = {}
    stop_reading = threading.Event()

    def writer(n: int) -> Callable[[], None]:
        def work() -> None:
            conversation = store.create_conversation(f"writer {n}")
            parent = None
            texts = []
            for m in range(MESSAGES_PER_WRITER):
                text = f"writer{n} message{m} payload"
                parent = store.add_message(
                    conversation.id, "user" if m % 2 == 0 else "assistant", text, parent_id=parent
                ).id
                texts.append(text)
            written[conversation.id] = texts

        return work

    def streamer() -> None:
        conversation = store.create_conversation("stream")
        question = store.add_message(conversation.id, "user", "go", parent_id=None)
        answer_id = store.start_answer(conversation.id, question.id, "m")
        pieces = [f"piece{n} " for n in range(2000)]
        for piece in pieces:
            store.append_to_answer(answer_id, piece)
        store.finish_answer(answer_id, "stop")
        streamed[answer_id] = "".join(pieces)

    def deleter() -> None:
        for n in range(10):
            doomed = store.create_conversation(f"doomed {n}")
            store.add_message(doomed.id, "user", "short lived", parent_id=None)
            store.delete_conversation(doomed.id)

    reader_errors: list[BaseException] = []

    def reader() -> None:
        try:
            while not stop_reading.is_set():
                for conversation in store.list_conversations(limit=20):
                    with contextlib.suppress(ConversationNotFoundError):  # deleted meanwhile
                        store.current_branch(conversation.id)
                store.search("payload")
                store.count_conversations()
        except BaseException as exc:
            reader_errors.append(exc)

    workers = [writer(n) for n in range(WRITERS)] + [streamer, deleter]
    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        errors = run_all(workers)
    finally:
        stop_reading.set()
        for thread in readers:
            thread.join(timeout=60)
    assert errors == [] and reader_errors == []
    store.close()

    # Everything written is there, in order.
    with ChatStore.open(path, key) as reopened:
        for conversation_id, texts in written.items():
            branch = reopened.current_branch(conversation_id)
            assert [message.content for message in branch] == texts
        [(answer_id, text)] = streamed.items()
        assert reopened.get_message(answer_id).content == text
        assert reopened.count_conversations() == WRITERS + 1
        assert len(reopened.search("payload", limit=1000)) == WRITERS * MESSAGES_PER_WRITER
        assert reopened.search("short lived") == []
