"""Regenerate, edit and version flips through the service: the real engine and encrypted store."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import ChatEvent, ChatFinished, Engine, SamplingSettings
from nexthub.errors import NextHubError
from nexthub.service.chat_session import ChatSession
from nexthub.store import ChatStore

#: Seeded but not greedy, so a regenerated answer differs from the first.
VARIED = SamplingSettings(temperature=1.0, seed=None, max_tokens=24)
GREEDY = SamplingSettings(temperature=0.0, max_tokens=16)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore.open(tmp_path / "chats.db", secrets.token_bytes(32)) as store:
        yield store


def finish(events: Iterator[ChatEvent]) -> ChatFinished:
    final = list(events)[-1]
    assert isinstance(final, ChatFinished)
    return final


def test_regenerate_keeps_the_earlier_answer_as_a_version_to_flip_back_to(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=VARIED)
    first = finish(session.send("Name a colour."))
    second = finish(session.regenerate())

    shown = session.shown()
    assert [m.role for m in shown] == ["user", "assistant"]
    assert (shown[1].content, shown[1].version, shown[1].versions) == (second.text, 2, 2)

    session.show_version(1, 1)
    shown = session.shown()
    assert (shown[1].content, shown[1].version) == (first.text, 1)
    assert session.history[-1].content == first.text  # the model now sees version 1

    reopened = ChatSession.resume(engine, store, session.conversation_id or "", model_name="x")
    assert reopened.shown()[1].content == first.text  # the flip was saved


def test_editing_a_prompt_makes_a_new_branch_and_keeps_the_old_one(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=GREEDY)
    finish(session.send("What is 2 + 2?"))
    finish(session.send("And 3 + 3?"))
    old_branch = [m.content for m in session.shown()]

    edited = finish(session.edit(2, "And 5 + 5?"))

    shown = session.shown()
    assert [m.content for m in shown] == [*old_branch[:2], "And 5 + 5?", edited.text]
    assert (shown[2].version, shown[2].versions) == (2, 2)
    session.show_version(2, 1)
    assert [m.content for m in session.shown()] == old_branch


def test_a_resumed_conversation_keeps_its_system_prompt_and_settings_and_goes_on(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(
        engine, store, model_name="smollm2", sampling=GREEDY, system_prompt="Answer in one word."
    )
    finish(session.send("What colour is the sky?"))

    resumed = ChatSession.resume(engine, store, session.conversation_id or "", model_name="m2")
    assert resumed.system_prompt == "Answer in one word."
    assert resumed.sampling == GREEDY
    assert [m.content for m in resumed.history] == [m.content for m in session.history]
    final = finish(resumed.send("And grass?"))
    assert final.usage.prompt_tokens_cached > 0  # the same history: the KV prefix was reused
    assert store.current_branch(resumed.conversation_id or "")[-1].model == "m2"


def test_only_a_sent_message_can_be_edited_and_versions_must_exist(
    engine: Engine, store: ChatStore
) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=GREEDY)
    with pytest.raises(NextHubError, match="no message to answer"):
        session.regenerate()
    finish(session.send("Hi"))
    with pytest.raises(NextHubError, match="Only a message you sent"):
        session.edit(1, "changed")
    with pytest.raises(NextHubError, match="1 versions, not 3"):
        session.show_version(1, 3)
    assert [m.role for m in session.shown()] == ["user", "assistant"]


def test_without_a_store_regenerate_and_edit_replace_the_turn(engine: Engine) -> None:
    session = ChatSession(engine, None, model_name="smollm2", sampling=GREEDY)
    finish(session.send("What is 2 + 2?"))
    again = finish(session.regenerate())
    assert [m.content for m in session.history] == ["What is 2 + 2?", again.text]
    edited = finish(session.edit(0, "What is 1 + 1?"))
    assert [m.content for m in session.history] == ["What is 1 + 1?", edited.text]
    with pytest.raises(NextHubError, match="no other versions"):
        session.show_version(1, 1)


def test_changed_settings_are_saved_with_the_conversation(engine: Engine, store: ChatStore) -> None:
    session = ChatSession(engine, store, model_name="smollm2", sampling=GREEDY)
    finish(session.send("Hi"))
    session.configure(sampling=VARIED, system_prompt="Be kind.")
    resumed = ChatSession.resume(engine, store, session.conversation_id or "", model_name="m")
    assert (resumed.sampling, resumed.system_prompt) == (VARIED, "Be kind.")
