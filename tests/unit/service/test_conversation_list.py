"""The sidebar's conversation list: delete is final at once, yet undoable while the app runs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.errors import NextHubError
from nexthub.service.conversation_list import MARK_END, MARK_START, ConversationList
from nexthub.store import ChatStore


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[ChatStore]:
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with ChatStore.open(db_path, key) as store:
        yield store


def add_chat(store: ChatStore, title: str, *texts: str) -> str:
    conversation = store.create_conversation(title)
    parent = None
    for i, text in enumerate(texts):
        role = "user" if i % 2 == 0 else "assistant"
        parent = store.add_message(conversation.id, role, text, parent_id=parent).id
    return conversation.id


def test_a_deleted_chat_is_gone_at_once_and_undo_brings_it_back_whole(store: ChatStore) -> None:
    chats = ConversationList(store)
    chosen = add_chat(store, "Plans", "zanzibarholiday idea", "Sounds good")
    add_chat(store, "Other", "something else")
    before = store.export_conversations([chosen])

    ticket = chats.delete(chosen)

    assert [c.title for c in chats.page()] == ["Other"]
    assert chats.search("zanzibarholiday") == []
    restored = chats.undo_delete(ticket)
    assert restored.id == chosen
    assert store.export_conversations([chosen]) == before
    with pytest.raises(NextHubError, match="no longer be undone"):
        chats.undo_delete(ticket)


def test_after_forgetting_a_deletion_cannot_be_undone(store: ChatStore) -> None:
    chats = ConversationList(store)
    ticket = chats.delete(add_chat(store, "Gone", "bye"))
    chats.forget_deleted()
    with pytest.raises(NextHubError, match="no longer be undone"):
        chats.undo_delete(ticket)
    assert chats.page() == []


def test_search_marks_matches_with_characters_a_user_cannot_type(store: ChatStore) -> None:
    chats = ConversationList(store)
    chat = add_chat(store, "Cooking", "How long do I boil <b>pasta</b>?")
    (hit,) = chats.search("pasta")
    assert hit.conversation_id == chat
    assert f"{MARK_START}pasta{MARK_END}" in hit.snippet
    assert chats.search("   ") == []


def test_pinned_and_archived_chats_are_listed_where_a_user_expects(store: ChatStore) -> None:
    chats = ConversationList(store)
    first = add_chat(store, "First", "a")
    add_chat(store, "Second", "b")
    third = add_chat(store, "Third", "c")
    chats.set_pinned(first, True)
    chats.set_archived(third, True)
    assert [c.title for c in chats.page()] == ["First", "Second"]
    assert [c.title for c in chats.page(archived=True)] == ["Third"]


def test_a_rename_tidies_spaces_and_refuses_an_empty_title(store: ChatStore) -> None:
    chats = ConversationList(store)
    chat = add_chat(store, "Old", "x")
    assert chats.rename(chat, "  New \n title ").title == "New title"
    with pytest.raises(NextHubError, match="needs a title"):
        chats.rename(chat, "   ")
    assert store.get_conversation(chat).title == "New title"
