"""Messages as a tree: regenerate and edit keep siblings, the shown branch, deleting subtrees."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.paths import AppPaths
from nexthub.store import ChatStore, Message, MessageNotFoundError, messages


@pytest.fixture
def store(nexthub_home: Path) -> Iterator[ChatStore]:
    path = AppPaths.from_environment().data / "chats.db"
    with ChatStore.open(path, secrets.token_bytes(32), flush_interval_s=0.01) as opened:
        yield opened


def texts(messages: list[Message]) -> list[str]:
    return [message.content for message in messages]


def answer(store: ChatStore, conversation_id: str, parent_id: str, text: str) -> Message:
    answer_id = store.start_answer(conversation_id, parent_id, "model-a")
    store.append_to_answer(answer_id, text)
    return store.finish_answer(answer_id, "stop", completion_tokens=len(text.split()))


def test_a_simple_conversation_is_one_branch(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    question = store.add_message(conversation.id, "user", "Q1", parent_id=None)
    reply = answer(store, conversation.id, question.id, "A1")
    follow_up = store.add_message(conversation.id, "user", "Q2", parent_id=reply.id)
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1", "Q2"]
    assert store.get_conversation(conversation.id).active_leaf_id == follow_up.id
    assert (reply.role, reply.model, reply.finish_reason, reply.completion_tokens) == (
        "assistant",
        "model-a",
        "stop",
        1,
    )
    assert store.siblings(reply.id) == [reply]


def test_regenerate_and_edit_keep_earlier_versions_as_siblings(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    q1 = store.add_message(conversation.id, "user", "Q1", parent_id=None)
    a1 = answer(store, conversation.id, q1.id, "A1")
    q2 = store.add_message(conversation.id, "user", "Q2", parent_id=a1.id)
    a2 = answer(store, conversation.id, q2.id, "A2")

    # Regenerate the first answer: a sibling of A1, shown, with nothing after it.
    a1b = answer(store, conversation.id, q1.id, "A1 again")
    assert texts(store.siblings(a1.id)) == ["A1", "A1 again"]
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1 again"]

    # Edit the first prompt: a second root.
    q1b = store.add_message(conversation.id, "user", "Q1 edited", parent_id=None)
    assert texts(store.siblings(q1.id)) == ["Q1", "Q1 edited"]
    assert texts(store.current_branch(conversation.id)) == ["Q1 edited"]

    # Flip back to the first prompt: shown down its newest children (A1 again).
    assert store.set_active_leaf(q1.id) == a1b
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1 again"]
    # Flip to the older answer: its whole branch comes back.
    assert store.set_active_leaf(a1.id) == a2
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1", "Q2", "A2"]
    assert store.set_active_leaf(q1b.id).id == q1b.id
    assert len(store.all_messages(conversation.id)) == 6


def test_deleting_a_message_deletes_its_subtree(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    q1 = store.add_message(conversation.id, "user", "Q1", parent_id=None)
    a1 = answer(store, conversation.id, q1.id, "A1")
    q2 = store.add_message(conversation.id, "user", "Q2", parent_id=a1.id)
    answer(store, conversation.id, q2.id, "A2")
    a1b = answer(store, conversation.id, q1.id, "A1 again")
    store.set_active_leaf(a1.id)

    store.delete_message(a1.id)  # takes Q2 and A2 with it
    assert texts(store.all_messages(conversation.id)) == ["Q1", "A1 again"]
    # The shown branch ran through A1: the remaining sibling is shown instead.
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1 again"]
    for gone in (a1.id, q2.id):
        with pytest.raises(MessageNotFoundError):
            store.get_message(gone)

    store.delete_message(a1b.id)  # no sibling left: the parent is shown
    assert texts(store.current_branch(conversation.id)) == ["Q1"]
    store.delete_message(q1.id)
    assert store.current_branch(conversation.id) == []
    assert store.get_conversation(conversation.id).active_leaf_id is None


def test_deleting_off_the_shown_branch_keeps_it(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    q1 = store.add_message(conversation.id, "user", "Q1", parent_id=None)
    a1 = answer(store, conversation.id, q1.id, "A1")
    answer(store, conversation.id, q1.id, "A1 again")
    store.delete_message(a1.id)
    assert texts(store.current_branch(conversation.id)) == ["Q1", "A1 again"]


def test_a_long_chain_deletes_in_one_go(store: ChatStore) -> None:
    """No ON DELETE CASCADE down the tree: it fails past SQLite's trigger depth (1000)."""
    conversation = store.create_conversation("long")
    parent = None
    with store._db.write() as db:  # one transaction: 1200 commits would take seconds
        for n in range(1200):
            parent = messages.insert(
                db,
                conversation_id=conversation.id,
                parent_id=parent,
                role="user",
                content=f"m{n}",
                model=None,
                complete=True,
            ).id
    assert parent is not None
    store.set_active_leaf(parent)
    chain = store.current_branch(conversation.id)
    assert texts(chain) == [f"m{n}" for n in range(1200)]
    store.delete_message(chain[0].id)
    assert store.all_messages(conversation.id) == []


def test_a_parent_must_be_in_the_same_conversation(store: ChatStore) -> None:
    one = store.create_conversation("one")
    other = store.create_conversation("other")
    message = store.add_message(one.id, "user", "hi", parent_id=None)
    with pytest.raises(ValueError, match="another conversation"):
        store.add_message(other.id, "user", "x", parent_id=message.id)
    with pytest.raises(MessageNotFoundError):
        store.add_message(one.id, "user", "x", parent_id="missing")
    with pytest.raises(ValueError, match="role"):
        store.add_message(one.id, "robot", "x", parent_id=None)  # type: ignore[arg-type]
    with pytest.raises(MessageNotFoundError):
        store.siblings("missing")


def test_deleting_a_conversation_removes_its_messages(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    q1 = store.add_message(conversation.id, "user", "Q1", parent_id=None)
    answer(store, conversation.id, q1.id, "A1")
    kept = store.create_conversation("kept")
    store.add_message(kept.id, "user", "stays", parent_id=None)
    store.delete_conversation(conversation.id)
    with pytest.raises(MessageNotFoundError):
        store.get_message(q1.id)
    assert texts(store.current_branch(kept.id)) == ["stays"]


def test_the_shown_branch_comes_with_each_message_s_version_and_count(store: ChatStore) -> None:
    conversation = store.create_conversation("c")
    first_root = store.add_message(conversation.id, "user", "Q", parent_id=None)
    second_root = store.add_message(conversation.id, "user", "Q edited", parent_id=None)
    answer(store, conversation.id, second_root.id, "A1")
    answer(store, conversation.id, second_root.id, "A2")
    third = answer(store, conversation.id, second_root.id, "A3")
    store.set_active_leaf(store.siblings(third.id)[1].id)

    shown = store.current_branch_versions(conversation.id)

    assert [(m.content, version, versions) for m, version, versions in shown] == [
        ("Q edited", 2, 2),
        ("A2", 2, 3),
    ]
    assert [m for m, _, _ in shown] == store.current_branch(conversation.id)
    assert first_root.id not in {m.id for m, _, _ in shown}
    assert store.current_branch_versions(store.create_conversation("empty").id) == []
