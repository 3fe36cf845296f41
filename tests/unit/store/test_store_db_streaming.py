"""Streaming answers: appended cheaply, committed within the flush interval, finished once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlcipher3

from nexthub.store import (
    AnswerNotStreamingError,
    ChatStore,
    DiskFullError,
    MessageNotFoundError,
)
from nexthub.store.streaming import AnswerStreams

INTERVAL = 0.05


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[ChatStore]:
    with ChatStore.open(db_path, key, flush_interval_s=INTERVAL) as opened:
        yield opened


def committed(db_path: Path, key: bytes, message_id: str) -> str:
    """The answer's text as another connection sees it: what is on disk."""
    conn = sqlcipher3.connect(str(db_path))
    try:
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        row = conn.execute("SELECT content FROM messages WHERE id = ?", [message_id]).fetchone()
        return str(row[0])
    finally:
        conn.close()


def wait_for(condition: object, timeout: float = 2.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def started(store: ChatStore) -> tuple[str, str]:
    conversation = store.create_conversation("stream")
    question = store.add_message(conversation.id, "user", "Tell me", parent_id=None)
    return conversation.id, store.start_answer(conversation.id, question.id, "model-a")


def test_appended_text_is_committed_within_the_interval(
    store: ChatStore, db_path: Path, key: bytes
) -> None:
    _, answer_id = started(store)
    assert store.get_message(answer_id).complete is False
    store.append_to_answer(answer_id, "Hello")
    store.append_to_answer(answer_id, ", world")
    appended = time.monotonic()
    wait_for(lambda: committed(db_path, key, answer_id) == "Hello, world")
    # Committed by the background thread, without another call: well within a second.
    assert time.monotonic() - appended < 0.5


def test_finish_commits_pending_text_and_indexes_it(store: ChatStore) -> None:
    conversation_id, answer_id = started(store)
    store.append_to_answer(answer_id, "streamed ")
    store.append_to_answer(answer_id, "words")
    assert store.search("streamed") == []  # not indexed while streaming
    finished = store.finish_answer(
        answer_id,
        "length",
        prompt_tokens=12,
        completion_tokens=2,
        time_to_first_token_s=0.25,
        prompt_tokens_per_s=480.0,
        decode_tokens_per_s=31.5,
    )
    assert finished.content == "streamed words" and finished.complete
    assert (finished.finish_reason, finished.prompt_tokens, finished.completion_tokens) == (
        "length",
        12,
        2,
    )
    assert (
        finished.time_to_first_token_s,
        finished.prompt_tokens_per_s,
        finished.decode_tokens_per_s,
    ) == (0.25, 480.0, 31.5)
    assert [hit.message_id for hit in store.search("streamed")] == [answer_id]
    assert store.get_conversation(conversation_id).active_leaf_id == answer_id
    with pytest.raises(AnswerNotStreamingError):
        store.append_to_answer(answer_id, "more")
    with pytest.raises(AnswerNotStreamingError):
        store.finish_answer(answer_id, "stop")


def test_finish_with_the_engines_final_text(store: ChatStore) -> None:
    _, answer_id = started(store)
    store.append_to_answer(answer_id, "partial STOP")
    assert store.finish_answer(answer_id, "stop", text="partial").content == "partial"


def test_flush_and_close_commit_what_is_pending(
    db_path: Path, key: bytes, store: ChatStore
) -> None:
    started(store)  # another store's stream, open at the same time
    slow = ChatStore.open(db_path, key, flush_interval_s=60)
    try:
        slow_answer = slow.start_answer(slow.create_conversation("s").id, None, "model-a")
        slow.append_to_answer(slow_answer, "flushed")
        slow.flush_answers()
        assert committed(db_path, key, slow_answer) == "flushed"
        slow.append_to_answer(slow_answer, " then closed")
    finally:
        slow.close()
    assert committed(db_path, key, slow_answer) == "flushed then closed"


def test_an_answer_left_unfinished_by_a_crash_can_be_taken_over(db_path: Path, key: bytes) -> None:
    with ChatStore.open(db_path, key, flush_interval_s=INTERVAL) as first:
        _, answer_id = started(first)
        first.append_to_answer(answer_id, "cut off")
    with ChatStore.open(db_path, key, flush_interval_s=INTERVAL) as second:
        [unfinished] = second.unfinished_answers()
        assert (unfinished.id, unfinished.content, unfinished.complete) == (
            answer_id,
            "cut off",
            False,
        )
        second.append_to_answer(answer_id, " and resumed")
        assert second.unfinished_answers() == []  # streaming here now
        done = second.finish_answer(answer_id, "interrupted")
        assert (done.content, done.finish_reason) == ("cut off and resumed", "interrupted")


def test_an_answer_deleted_while_streaming_is_dropped(store: ChatStore) -> None:
    conversation_id, answer_id = started(store)
    store.append_to_answer(answer_id, "doomed")
    store.delete_conversation(conversation_id)
    time.sleep(INTERVAL * 3)  # the background commit finds nothing and drops the stream
    with pytest.raises(MessageNotFoundError):
        store.append_to_answer(answer_id, "more")
    with pytest.raises(MessageNotFoundError):
        store.finish_answer(answer_id, "stop")


def test_a_failed_background_commit_is_reported_and_nothing_is_lost(tmp_path: Path) -> None:
    """A commit that fails (a full disk) keeps the text, and the next append says so."""
    stored: list[str] = []
    failing = threading.Event()
    failing.set()

    def commit(message_id: str, text: str) -> bool:
        if failing.is_set():
            raise DiskFullError(tmp_path / "chats.db")
        stored.append(text)
        return True

    streams = AnswerStreams(commit, interval_s=0.01)
    streams.open("m")
    streams.append("m", "kept ")
    time.sleep(0.1)
    with pytest.raises(DiskFullError):
        streams.append("m", "refused")
    failing.clear()  # space freed
    assert streams.append("m", "and more")
    wait_for(lambda: "".join(stored) == "kept and more")
    streams.close()


def test_concurrent_appends_keep_their_order(store: ChatStore) -> None:
    _, answer_id = started(store)
    pieces = [f"{n} " for n in range(3000)]
    for piece in pieces:
        store.append_to_answer(answer_id, piece)
        if int(piece) % 500 == 0:
            time.sleep(INTERVAL)  # let background commits interleave
    assert store.finish_answer(answer_id, "stop").content == "".join(pieces)


def test_append_is_cheap(store: ChatStore) -> None:
    """Appending never waits for the disk: thousands of pieces take milliseconds."""
    _, answer_id = started(store)
    begin = time.perf_counter()
    for _ in range(5000):
        store.append_to_answer(answer_id, "token ")
    per_append = (time.perf_counter() - begin) / 5000
    assert per_append < 0.0005, f"{per_append * 1e6:.1f} µs per append"
    assert store.finish_answer(answer_id, "stop").content == "token " * 5000
