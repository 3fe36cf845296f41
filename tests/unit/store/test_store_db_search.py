"""Full-text search over titles and messages, with the caller's highlight markers."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.paths import AppPaths
from nexthub.store import ChatStore
from nexthub.store.search import fts_query


@pytest.fixture
def store(nexthub_home: Path) -> Iterator[ChatStore]:
    path = AppPaths.from_environment().data / "chats.db"
    with ChatStore.open(path, secrets.token_bytes(32), flush_interval_s=0.01) as opened:
        yield opened


def test_hits_carry_ids_and_highlighted_snippets(store: ChatStore) -> None:
    trip = store.create_conversation("Lisbon itinerary")
    question = store.add_message(
        trip.id, "user", "Where should I eat pastéis de nata in Lisbon?", parent_id=None
    )
    other = store.create_conversation("Taxes")
    store.add_message(other.id, "user", "Nothing about cities.", parent_id=None)

    hits = store.search("lisbon", markers=("<mark>", "</mark>"))
    by_kind = {hit.message_id is None: hit for hit in hits}
    title, message = by_kind[True], by_kind[False]
    assert (title.conversation_id, title.snippet) == (trip.id, "<mark>Lisbon</mark> itinerary")
    assert (message.conversation_id, message.message_id, message.role) == (
        trip.id,
        question.id,
        "user",
    )
    assert message.conversation_title == "Lisbon itinerary"
    assert message.snippet == "Where should I eat pastéis de nata in <mark>Lisbon</mark>?"
    # Case and accents do not matter; the last word matches as a prefix.
    assert [hit.message_id for hit in store.search("PASTEIS")] == [question.id]
    assert [hit.message_id for hit in store.search("eat past")] == [question.id]
    assert store.search("eat taxes") == []


def test_long_messages_get_a_snippet_around_the_match(store: ChatStore) -> None:
    conversation = store.create_conversation("long")
    text = " ".join(["filler"] * 500 + ["needle"] + ["filler"] * 500)
    store.add_message(conversation.id, "assistant", text, parent_id=None)
    [hit] = store.search("needle")
    assert "[needle]" in hit.snippet and hit.snippet.startswith("…")
    assert len(hit.snippet) < 300


@pytest.mark.parametrize(
    "query",
    ['"', "AND", "NEAR(a b)", "a OR b", "col:x", "*", "-x", "^start", "(", "'; DROP TABLE x"],
)
def test_what_the_user_types_is_never_fts_syntax(store: ChatStore, query: str) -> None:
    conversation = store.create_conversation("syntax")
    store.add_message(conversation.id, "user", "plain words", parent_id=None)
    assert store.search(query) == []


def test_query_building() -> None:
    assert fts_query("  ") is None
    assert fts_query("- ... ?") is None
    assert fts_query('say "hi"') == '"say" """hi"""*'


def test_archived_conversations_can_be_left_out(store: ChatStore) -> None:
    conversation = store.create_conversation("archived topic")
    store.add_message(conversation.id, "user", "topic text", parent_id=None)
    store.set_archived(conversation.id, True)
    assert len(store.search("topic")) == 2
    assert store.search("topic", include_archived=False) == []


def test_the_index_follows_renames_and_deletions(store: ChatStore) -> None:
    conversation = store.create_conversation("Original name")
    message = store.add_message(conversation.id, "user", "deletable text", parent_id=None)
    store.rename_conversation(conversation.id, "Renamed")
    assert store.search("original") == []
    assert [hit.snippet for hit in store.search("renamed")] == ["[Renamed]"]
    store.delete_message(message.id)
    assert store.search("deletable") == []
    store.delete_conversation(conversation.id)
    assert store.search("renamed") == []


def test_limit_and_ranking(store: ChatStore) -> None:
    conversation = store.create_conversation("ranking")
    for n in range(30):
        store.add_message(
            conversation.id, "user", "word " * (n % 5 + 1) + "other " * 20, parent_id=None
        )
    hits = store.search("word", limit=7)
    assert len(hits) == 7
    assert [hit.rank for hit in hits] == sorted(hit.rank for hit in hits)
    assert store.search("word", limit=0) == []
