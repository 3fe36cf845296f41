"""A conversation through the service layer: the real engine, saved in the real encrypted store."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import (
    ChatFinished,
    ContextOverflowError,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)
from nexthub.service.chat_session import ChatSession
from nexthub.store import ChatStore

GREEDY = SamplingSettings(temperature=0.0, max_tokens=32)
LONG = SamplingSettings(temperature=0.8, seed=9, max_tokens=1500)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore.open(tmp_path / "chats.db", secrets.token_bytes(32)) as store:
        yield store


def answer(session: ChatSession, text: str) -> ChatFinished:
    final = list(session.send(text))[-1]
    assert isinstance(final, ChatFinished)
    return final


def test_a_conversation_is_saved_with_its_answers_and_their_timings(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(
        engine, store, model_name="smollm2", sampling=GREEDY, system_prompt="Be brief."
    )
    first = answer(session, "What is the capital of France?")
    second = answer(session, "And of Italy?")

    conversation = store.get_conversation(session.conversation_id or "")
    assert conversation.title == "What is the capital of France?"
    assert conversation.system_prompt == "Be brief."
    branch = store.current_branch(conversation.id)
    assert [(m.role, m.content) for m in branch] == [
        ("user", "What is the capital of France?"),
        ("assistant", first.text),
        ("user", "And of Italy?"),
        ("assistant", second.text),
    ]
    saved = branch[1]
    assert saved.complete and saved.finish_reason == first.finish_reason
    assert saved.completion_tokens == first.usage.completion_tokens
    assert saved.decode_tokens_per_s == pytest.approx(first.timings.decode_tokens_per_s)
    assert saved.model == "smollm2"
    # The follow-up reused the first turn's KV cache.
    assert second.usage.prompt_tokens_cached > 0


def test_a_cancelled_answer_is_saved_as_far_as_it_got(engine: Engine, store: ChatStore) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=LONG)
    pieces = 0
    final = None
    for event in session.send("Write a very long essay about mountains."):
        if isinstance(event, TextDelta):
            pieces += 1
            if pieces == 15:
                engine.cancel()
        elif isinstance(event, ChatFinished):
            final = event
    assert final is not None and final.finish_reason == "cancelled"
    saved = store.current_branch(session.conversation_id or "")[-1]
    assert saved.finish_reason == "cancelled"
    assert saved.content == final.text and saved.content


def test_an_answer_whose_reader_stops_is_saved_as_cancelled(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=LONG)
    stream = session.send("Write a very long essay about oceans.")
    received = ""
    for event in stream:
        if isinstance(event, TextDelta):
            received += event.text
            if len(received) > 40:
                break
    stream.close()  # type: ignore[attr-defined]
    saved = store.current_branch(session.conversation_id or "")[-1]
    assert saved.role == "assistant" and saved.finish_reason == "cancelled"
    assert saved.content.startswith(received)


def test_a_worker_crash_mid_answer_keeps_the_text_and_the_conversation_goes_on(
    starter_model_path: Path, store: ChatStore
) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, LoadSettings(context_size=1024, threads=2))
        session = ChatSession(engine, store, model_name="smollm2", sampling=LONG)
        pieces = 0
        for event in session.send("Write a long poem about rain."):
            if isinstance(event, TextDelta):
                pieces += 1
                if pieces == 3:  # a few pieces in (one per 100 ms), well before the end
                    engine.kill_worker()
        saved = store.current_branch(session.conversation_id or "")[-1]
        assert saved.finish_reason == "error" and saved.content
        follow_up = answer(session, "Say hello.")
        assert follow_up.finish_reason in {"stop", "length"}
    assert len(store.current_branch(session.conversation_id or "")) == 4


def test_a_message_too_long_is_refused_and_leaves_no_empty_answer(
    starter_model_path: Path, store: ChatStore
) -> None:
    with Engine() as engine:
        engine.load(starter_model_path, LoadSettings(context_size=256, threads=2))
        session = ChatSession(engine, store, model_name="smollm2", sampling=GREEDY)
        with pytest.raises(ContextOverflowError):
            answer(session, "rivers " * 400)
    branch = store.current_branch(session.conversation_id or "")
    assert [m.role for m in branch] == ["user"]


def test_without_a_store_the_conversation_lives_in_memory(engine: Engine) -> None:
    session = ChatSession(engine, None, model_name="smollm2", sampling=GREEDY)
    first = answer(session, "What is the capital of France?")
    answer(session, "And of Spain?")
    assert session.conversation_id is None
    assert [m.role for m in session.history] == ["user", "assistant", "user", "assistant"]
    assert session.history[1].content == first.text
