"""ChatSession.show_message: a search hit on a branch not shown brings its branch on screen."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import Engine, SamplingSettings
from nexthub.errors import NextHubError
from nexthub.service.chat_session import ChatSession
from nexthub.store import ChatStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore.open(tmp_path / "chats.db", secrets.token_bytes(32)) as store:
        yield store


def test_showing_a_message_on_another_branch_switches_to_that_branch(store: ChatStore) -> None:
    conversation = store.create_conversation("branches")
    first = store.add_message(conversation.id, "user", "first prompt", parent_id=None)
    old_answer = store.add_message(conversation.id, "assistant", "old answer", parent_id=first.id)
    store.add_message(conversation.id, "assistant", "new answer", parent_id=first.id)
    session = ChatSession.resume(Engine(), store, conversation.id, model_name="m")
    assert [m.content for m in session.shown()] == ["first prompt", "new answer"]

    session.show_message(old_answer.id)

    shown = session.shown()
    assert [m.content for m in shown] == ["first prompt", "old answer"]
    assert (shown[1].version, shown[1].versions) == (1, 2)
    assert [m.content for m in session.history] == ["first prompt", "old answer"]
    reopened = ChatSession.resume(Engine(), store, conversation.id, model_name="m")
    assert [m.content for m in reopened.shown()] == ["first prompt", "old answer"]


def test_a_message_of_another_conversation_is_refused(store: ChatStore) -> None:
    mine = store.create_conversation("mine")
    store.add_message(mine.id, "user", "hello", parent_id=None)
    other = store.create_conversation("other")
    foreign = store.add_message(other.id, "user", "elsewhere", parent_id=None)
    session = ChatSession.resume(Engine(), store, mine.id, model_name="m")
    with pytest.raises(NextHubError, match="not in this conversation"):
        session.show_message(foreign.id)
    assert [m.content for m in session.shown()] == ["hello"]
    unsaved = ChatSession(Engine(), None, model_name="m", sampling=SamplingSettings())
    with pytest.raises(NextHubError, match="not in this conversation"):
        unsaved.show_message(foreign.id)
