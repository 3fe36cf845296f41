"""A disk that fills up in the middle of an answer: the session follows what the store kept.

Needs a real full disk: a 2 MiB tmpfs (tests/small_disk.py), so root; the
test is skipped elsewhere with that reason.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import ChatFinished, Engine, SamplingSettings, TextDelta
from nexthub.errors import NextHubError
from nexthub.service.chat_session import ChatSession
from nexthub.store import ChatStore
from tests.small_disk import fill_up, small_disk_under

LONG = SamplingSettings(temperature=0.8, seed=5, max_tokens=1500)
SHORT = SamplingSettings(temperature=0.0, max_tokens=16)


@pytest.fixture
def store_on_small_disk(tmp_path: Path) -> Iterator[ChatStore]:
    with small_disk_under(tmp_path) as disk:
        store = ChatStore.open(
            disk.where / "chats.db", secrets.token_bytes(32), flush_interval_s=0.01
        )
        try:
            yield store
        finally:
            store.close()


def test_after_a_full_disk_the_next_message_follows_what_was_saved(
    engine: Engine, store_on_small_disk: ChatStore
) -> None:
    store = store_on_small_disk
    session = ChatSession(engine, store, model_name="smollm2", sampling=LONG)
    filler = None
    pieces = 0
    with pytest.raises(NextHubError, match="full"):
        for event in session.send("Write a very long story about a ship."):
            pieces += isinstance(event, TextDelta)
            if pieces == 40 and filler is None:
                filler = fill_up(store.path.parent)
    assert filler is not None
    conversation = session.conversation_id or ""
    kept = store.current_branch(conversation)
    assert [m.role for m in kept] == ["user", "assistant"] and kept[1].content  # part of it
    assert [m.content for m in session.shown()] == [m.content for m in kept]

    filler.unlink()
    session.configure(sampling=SHORT)
    final = list(session.send("Now say hello."))[-1]
    assert isinstance(final, ChatFinished)
    branch = store.current_branch(conversation)
    assert [m.role for m in branch] == ["user", "assistant", "user", "assistant"]
    assert branch[1].id == kept[1].id  # the new prompt follows the answer that was kept
    assert branch[2].content == "Now say hello." and branch[3].content == final.text
