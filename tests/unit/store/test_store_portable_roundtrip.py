"""Export and import lose nothing: ids, timestamps, branches, the shown branch, usage, settings.

The property test builds random conversations directly as the records the
store hands out (random trees, Unicode of every plane, empty and huge texts,
None timings, pinned and archived), restores them into a fresh encrypted
store, exports them again, and compares: field by field, and byte for byte.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexthub.paths import AppPaths
from nexthub.store import (
    ChatStore,
    Conversation,
    ConversationDump,
    ImportConflictError,
    InvalidExportError,
    Message,
)
from nexthub.store.export_envelope import encrypt
from nexthub.store.key_kdf import ScryptParams
from nexthub.store.portable import read_export, to_json
from nexthub.store.records import FINISH_REASONS, ROLES

# Test-only cost, passed explicitly; the defaults are never weakened.
CHEAP = ScryptParams(n=16, r=1, p=1)
PASSPHRASE = "correct horse battery staple ☃"


@pytest.fixture
def store(nexthub_home: Path) -> Iterator[ChatStore]:
    path = AppPaths.from_environment().chats_db_file
    with ChatStore.open(path, secrets.token_bytes(32), flush_interval_s=0.01) as opened:
        yield opened


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[ChatStore]:
    with ChatStore.open(tmp_path / "other" / "chats.db", secrets.token_bytes(32)) as opened:
        yield opened


# -- Strategies ---------------------------------------------------------------------------------

SPECIAL_TEXT = [
    "",
    " ",
    "\n\n",
    "\x00nul inside\x00",
    "مرحبا بالعالم",  # right to left
    "\u202eevil override\u202c",
    "zero\u200bwidth\u200c\u200djoiners\ufeff",
    "👩‍👩‍👧‍👦 family, \U0001d518\U0001d52b\U0001d526 fraktur, 𠜎 astral",
    "e\u0301 combining vs é",
    '"quotes" \\ backslash </script> {"json": 1}',
]

# Any Unicode scalar value (astral planes included), no surrogates: SQLite keeps UTF-8.
plain_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
texts = st.one_of(
    plain_text,
    st.sampled_from(SPECIAL_TEXT),
    # Huge messages, cheaply: a short random piece repeated (up to ~1.5 MB).
    st.builds(lambda piece, n: piece * n, plain_text.filter(bool), st.integers(1000, 50_000)),
)
small_texts = st.one_of(plain_text, st.sampled_from(SPECIAL_TEXT))
ids = st.uuids().map(str)
times = st.datetimes(
    min_value=datetime(1970, 1, 1),  # hypothesis wants naive bounds
    max_value=datetime(2200, 1, 1),
    timezones=st.just(UTC),
)
# -0.0 is stored by SQLite as the integer 0: it comes back as 0.0 (equal, but prints apart).
timings = st.none() | st.floats(allow_nan=False, allow_infinity=False).map(lambda x: x + 0.0)
counts = st.none() | st.integers(-(2**63), 2**63 - 1)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | small_texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(small_texts, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def conversation_dumps(draw: st.DrawFn) -> ConversationDump:
    conversation_id = draw(ids)
    count = draw(st.integers(0, 8))
    message_ids = draw(st.lists(ids, min_size=count, max_size=count, unique=True))
    messages = []
    for index, message_id in enumerate(message_ids):
        # Any earlier message may be the parent: branches (siblings) and several roots.
        parent = draw(st.none() | st.sampled_from(message_ids[:index])) if index else None
        messages.append(
            Message(
                id=message_id,
                conversation_id=conversation_id,
                parent_id=parent,
                role=draw(st.sampled_from(ROLES)),
                content=draw(texts),
                created=draw(times),
                complete=draw(st.booleans()),
                model=draw(st.none() | small_texts),
                finish_reason=draw(st.none() | st.sampled_from(FINISH_REASONS)),
                prompt_tokens=draw(counts),
                completion_tokens=draw(counts),
                time_to_first_token_s=draw(timings),
                prompt_tokens_per_s=draw(timings),
                decode_tokens_per_s=draw(timings),
            )
        )
    conversation = Conversation(
        id=conversation_id,
        title=draw(small_texts),
        created=draw(times),
        updated=draw(times),
        model=draw(st.none() | small_texts),
        system_prompt=draw(texts),
        sampling=draw(st.dictionaries(small_texts, json_values, max_size=4)),
        pinned=draw(st.booleans()),
        archived=draw(st.booleans()),
        active_leaf_id=draw(st.none() | st.sampled_from(message_ids)) if message_ids else None,
    )
    return ConversationDump(conversation, tuple(messages))


def unique_dumps(max_size: int) -> st.SearchStrategy[list[ConversationDump]]:
    return st.lists(conversation_dumps(), max_size=max_size).filter(
        lambda dumps: (
            len({m.id for d in dumps for m in d.messages} | {None})
            == 1 + sum(len(d.messages) for d in dumps)
            and len({d.conversation.id for d in dumps}) == len(dumps)
        )
    )


PROPERTY = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def round_trip(dumps: list[ConversationDump], data: bytes, passphrase: str | None) -> None:
    """Import ``data`` into a fresh encrypted store and check it gives ``dumps`` back."""
    parsed = read_export(data, None if passphrase is None else lambda: passphrase)
    assert parsed == dumps
    with tempfile.TemporaryDirectory() as folder:
        with ChatStore.open(Path(folder) / "chats.db", secrets.token_bytes(32)) as store:
            report = store.restore_conversations(parsed)
            assert report.imported == tuple(d.conversation.id for d in dumps)
            assert report.messages == sum(len(d.messages) for d in dumps)
            exported = store.export_conversations()
        assert exported == dumps
        assert to_json(exported) == to_json(dumps)  # byte for byte


@PROPERTY
@given(dumps=unique_dumps(max_size=4))
def test_any_conversations_survive_export_and_import(dumps: list[ConversationDump]) -> None:
    round_trip(dumps, to_json(dumps), None)


@settings(PROPERTY, max_examples=25)
@given(dumps=unique_dumps(max_size=3), passphrase=small_texts.filter(bool))
def test_any_conversations_survive_an_encrypted_export(
    dumps: list[ConversationDump], passphrase: str
) -> None:
    data = encrypt(to_json(dumps), passphrase, kdf=CHEAP)
    round_trip(dumps, data, passphrase)


# -- Through the store's own API ------------------------------------------------------------


def build_chat(store: ChatStore, marker: str = "MARKER") -> dict[str, Any]:
    """A conversation as a user makes one: a regenerated answer, an edited prompt, a switch."""
    chat = store.create_conversation(
        f"Trip {marker}",
        model="qwen",
        system_prompt=f"Answer briefly {marker}",
        sampling={"temperature": 0.7, "top_p": 0.9, "stop": ["</s>"]},
    )
    q1 = store.add_message(chat.id, "user", f"Where to eat {marker}?", parent_id=None)
    a1 = store.start_answer(chat.id, q1.id, "qwen")
    store.append_to_answer(a1, "Pizza ")
    store.append_to_answer(a1, "place")
    store.finish_answer(
        a1,
        "stop",
        prompt_tokens=12,
        completion_tokens=3,
        time_to_first_token_s=0.125,
        prompt_tokens_per_s=181.5,
        decode_tokens_per_s=24.25,
    )
    a2 = store.start_answer(chat.id, q1.id, "llama")  # regenerate: a sibling of a1
    store.finish_answer(a2, "length", text="Sushi bar", completion_tokens=2)
    q2 = store.add_message(chat.id, "user", "And after?", parent_id=a2)
    edited = store.add_message(chat.id, "user", "Edited first question", parent_id=None)
    store.set_active_leaf(a1)  # show the first answer's branch again
    store.set_pinned(chat.id, True)
    other = store.create_conversation("Archived one")
    store.add_message(other.id, "user", "old", parent_id=None)
    store.set_archived(other.id, True)
    empty = store.create_conversation("")
    return {
        "chat": chat.id,
        "q1": q1.id,
        "a1": a1,
        "a2": a2,
        "q2": q2.id,
        "edited": edited.id,
        "other": other.id,
        "empty": empty.id,
    }


def test_a_real_conversation_comes_back_the_same(store: ChatStore, fresh_store: ChatStore) -> None:
    made = build_chat(store)
    data = to_json(store.export_conversations())
    report = fresh_store.restore_conversations(read_export(data))
    assert report.imported == (made["chat"], made["other"], made["empty"])
    assert to_json(fresh_store.export_conversations()) == data
    for conversation_id in (made["chat"], made["other"], made["empty"]):
        assert fresh_store.get_conversation(conversation_id) == store.get_conversation(
            conversation_id
        )
        assert fresh_store.current_branch(conversation_id) == store.current_branch(conversation_id)
        assert fresh_store.all_messages(conversation_id) == store.all_messages(conversation_id)
    assert [m.id for m in fresh_store.current_branch(made["chat"])] == [made["q1"], made["a1"]]
    assert [m.id for m in fresh_store.siblings(made["a1"])] == [made["a1"], made["a2"]]
    assert fresh_store.list_conversations(archived=None) == store.list_conversations(archived=None)
    # The newest child is still the one added last, so switching branches works the same.
    assert fresh_store.set_active_leaf(made["q1"]).id == made["q2"]


def test_imported_messages_and_titles_are_searchable(
    store: ChatStore, fresh_store: ChatStore
) -> None:
    made = build_chat(store, marker="Zanzibar")
    fresh_store.restore_conversations(store.export_conversations())
    hits = fresh_store.search("zanzibar")
    assert {(h.conversation_id, h.message_id) for h in hits} == {
        (made["chat"], None),
        (made["chat"], made["q1"]),
    }
    assert [h.message_id for h in fresh_store.search("sushi")] == [made["a2"]]


def test_export_of_chosen_conversations_in_the_order_asked(store: ChatStore) -> None:
    made = build_chat(store)
    dumps = store.export_conversations([made["empty"], made["chat"]])
    assert [d.conversation.id for d in dumps] == [made["empty"], made["chat"]]
    assert dumps[0].messages == ()
    assert len(dumps[1].messages) == 5


def test_export_includes_streamed_text_not_yet_committed(store: ChatStore) -> None:
    chat = store.create_conversation("c")
    question = store.add_message(chat.id, "user", "q", parent_id=None)
    answer = store.start_answer(chat.id, question.id, "m")
    store.append_to_answer(answer, "half an ans")
    (dump,) = store.export_conversations()
    assert dump.messages[-1].content == "half an ans"
    assert dump.messages[-1].complete is False


def test_importing_twice_skips_what_is_already_there(
    store: ChatStore, fresh_store: ChatStore
) -> None:
    build_chat(store)
    dumps = store.export_conversations()
    fresh_store.restore_conversations(dumps)
    again = fresh_store.restore_conversations(dumps)
    assert again.imported == () and again.replaced == () and again.messages == 0
    assert again.skipped == tuple(d.conversation.id for d in dumps)
    assert fresh_store.export_conversations() == dumps


def test_replace_puts_the_file_version_back(store: ChatStore, fresh_store: ChatStore) -> None:
    made = build_chat(store)
    dumps = store.export_conversations()
    fresh_store.restore_conversations(dumps)
    fresh_store.rename_conversation(made["chat"], "Renamed here")
    fresh_store.delete_message(made["a2"])
    fresh_store.add_message(made["other"], "user", "Gone after replace", parent_id=None)
    report = fresh_store.restore_conversations(dumps, replace=True)
    assert report.replaced == tuple(d.conversation.id for d in dumps)
    assert report.imported == ()
    assert fresh_store.export_conversations() == dumps
    assert fresh_store.search("Renamed") == []
    assert fresh_store.search("Gone") == []


def test_new_and_existing_conversations_in_one_file(
    store: ChatStore, fresh_store: ChatStore
) -> None:
    made = build_chat(store)
    fresh_store.restore_conversations(store.export_conversations([made["other"]]))
    report = fresh_store.restore_conversations(store.export_conversations())
    assert report.imported == (made["chat"], made["empty"])
    assert report.skipped == (made["other"],)
    assert fresh_store.export_conversations() == store.export_conversations(
        [made["other"], made["chat"], made["empty"]]
    )


def moved(dump: ConversationDump, new_id: str) -> ConversationDump:
    """The same messages (same ids) under another conversation id."""
    return ConversationDump(
        replace(dump.conversation, id=new_id, active_leaf_id=None),
        tuple(replace(m, conversation_id=new_id) for m in dump.messages),
    )


def test_a_message_id_used_by_another_conversation_imports_nothing(
    store: ChatStore, fresh_store: ChatStore
) -> None:
    made = build_chat(store)
    chat, _other, empty = store.export_conversations()
    fresh_store.restore_conversations([chat])
    before = fresh_store.export_conversations()
    with pytest.raises(ImportConflictError, match="another conversation"):
        fresh_store.restore_conversations([empty, moved(chat, "thief")])
    assert fresh_store.export_conversations() == before
    assert made["empty"] not in {c.id for c in fresh_store.list_conversations(archived=None)}


def test_a_failed_replace_leaves_the_old_version(store: ChatStore, fresh_store: ChatStore) -> None:
    made = build_chat(store)
    chat, other, _empty = store.export_conversations()
    fresh_store.restore_conversations([chat, other])
    fresh_store.rename_conversation(made["chat"], "Kept title")
    before = fresh_store.export_conversations()
    # The chat is replaced first, then a message id of the (kept) archived one clashes.
    with pytest.raises(ImportConflictError):
        fresh_store.restore_conversations([chat, moved(other, "thief")], replace=True)
    assert fresh_store.export_conversations() == before
    assert fresh_store.get_conversation(made["chat"]).title == "Kept title"


def test_the_store_checks_the_trees_it_is_given(store: ChatStore) -> None:
    chat = store.create_conversation("c")
    question = store.add_message(chat.id, "user", "q", parent_id=None)
    (dump,) = store.export_conversations()
    store.delete_conversation(chat.id)
    orphan = replace(question, id="child", parent_id="nowhere")
    bad = ConversationDump(dump.conversation, (*dump.messages, orphan))
    with pytest.raises(InvalidExportError, match="parent"):
        store.restore_conversations([bad])
    assert store.count_conversations(archived=None) == 0
