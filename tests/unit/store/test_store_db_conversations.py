"""Conversations: create, read, list in order, change, delete."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.paths import AppPaths
from nexthub.store import (
    KEEP,
    ChatStore,
    Conversation,
    ConversationNotFoundError,
    StoreClosedError,
)


@pytest.fixture
def store(nexthub_home: Path) -> Iterator[ChatStore]:
    path = AppPaths.from_environment().data / "chats.db"
    with ChatStore.open(path, secrets.token_bytes(32)) as opened:
        yield opened


def test_create_and_get_a_conversation(store: ChatStore) -> None:
    made = store.create_conversation(
        "Trip to Lisbon",
        model="qwen2.5-1.5b",
        system_prompt="You are a travel agent.",
        sampling={"temperature": 0.3, "stop": ["###"], "seed": None},
    )
    assert made == store.get_conversation(made.id)
    assert made.title == "Trip to Lisbon"
    assert made.model == "qwen2.5-1.5b"
    assert made.system_prompt == "You are a travel agent."
    assert made.sampling == {"temperature": 0.3, "stop": ["###"], "seed": None}
    assert not made.pinned and not made.archived and made.active_leaf_id is None
    assert made.created == made.updated and made.created.tzinfo is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"  # type: ignore[misc]


def test_defaults_and_unicode(store: ChatStore) -> None:
    made = store.create_conversation()
    assert (made.title, made.model, made.system_prompt, dict(made.sampling)) == ("", None, "", {})
    emoji = store.create_conversation("Ünïcødé 🦙 \u200b 日本語", system_prompt="\x00nul")
    assert store.get_conversation(emoji.id).title == "Ünïcødé 🦙 \u200b 日本語"
    assert store.get_conversation(emoji.id).system_prompt == "\x00nul"


def ids(conversations: list[Conversation]) -> list[str]:
    return [conversation.title for conversation in conversations]


def test_list_is_paged_pinned_first_then_newest_first(store: ChatStore) -> None:
    for n in range(5):
        store.create_conversation(f"c{n}")
    conversations = {c.title: c for c in store.list_conversations()}
    assert ids(store.list_conversations()) == ["c4", "c3", "c2", "c1", "c0"]
    store.set_pinned(conversations["c1"].id, True)
    # Adding a message updates a conversation, which moves it up.
    store.add_message(conversations["c2"].id, "user", "hi", parent_id=None)
    assert ids(store.list_conversations()) == ["c1", "c2", "c4", "c3", "c0"]
    assert ids(store.list_conversations(limit=2, offset=2)) == ["c4", "c3"]
    assert store.count_conversations() == 5


def test_archived_conversations_are_listed_apart(store: ChatStore) -> None:
    kept = store.create_conversation("kept")
    gone = store.create_conversation("archived")
    assert store.set_archived(gone.id, True).archived
    assert ids(store.list_conversations()) == ["kept"]
    assert ids(store.list_conversations(archived=True)) == ["archived"]
    assert set(ids(store.list_conversations(archived=None))) == {"kept", "archived"}
    assert store.count_conversations(archived=None) == 2
    assert not store.set_archived(gone.id, False).archived
    assert store.get_conversation(kept.id).archived is False


def test_rename_and_settings(store: ChatStore) -> None:
    made = store.create_conversation("old", model="a", system_prompt="sp", sampling={"top_k": 1})
    renamed = store.rename_conversation(made.id, "new")
    assert renamed.title == "new" and renamed.updated > made.updated
    changed = store.update_settings(made.id, model=None)
    assert (changed.model, changed.system_prompt, changed.sampling) == (None, "sp", {"top_k": 1})
    changed = store.update_settings(made.id, system_prompt="other", sampling={"top_p": 0.9})
    assert (changed.system_prompt, changed.sampling) == ("other", {"top_p": 0.9})
    assert store.update_settings(made.id, model=KEEP).model is None


def test_delete_and_unknown_ids(store: ChatStore) -> None:
    made = store.create_conversation("bye")
    store.delete_conversation(made.id)
    for call in (
        lambda: store.get_conversation(made.id),
        lambda: store.delete_conversation(made.id),
        lambda: store.rename_conversation(made.id, "x"),
        lambda: store.set_pinned("no-such-id", True),
        lambda: store.current_branch(made.id),
        lambda: store.add_message(made.id, "user", "x", parent_id=None),
    ):
        with pytest.raises(ConversationNotFoundError, match="no conversation"):
            call()


def test_a_closed_store_says_so(store: ChatStore) -> None:
    made = store.create_conversation("x")
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreClosedError):
        store.get_conversation(made.id)
    with pytest.raises(StoreClosedError):
        store.append_to_answer("any", "text")
