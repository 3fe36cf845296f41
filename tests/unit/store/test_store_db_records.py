"""Records built from rows (the fast path, no ``__init__``) are the same as built normally."""

from __future__ import annotations

import dataclasses
import json
import pickle
from datetime import UTC, datetime

import pytest

from nexthub.store import conversations, messages
from nexthub.store.records import (
    Conversation,
    Message,
    conversation_from_tuple,
    message_from_tuple,
)

CREATED = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
UPDATED = datetime(2025, 3, 2, 8, 30, 0, 5, tzinfo=UTC)


def stored(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds")


@pytest.mark.parametrize("sampling", [{}, {"temperature": 0.7, "stop": ["\n"]}])
@pytest.mark.parametrize(("pinned", "archived"), [(0, 0), (1, 0), (0, 1)])
def test_a_conversation_from_a_row_equals_one_from_init(
    sampling: dict[str, object], pinned: int, archived: int
) -> None:
    row = ("c1", "Title", stored(CREATED), stored(UPDATED), "qwen", "Be brief.")
    row += (json.dumps(sampling), pinned, archived, "m9")
    built = conversation_from_tuple(row)
    expected = Conversation(
        id="c1",
        title="Title",
        created=CREATED,
        updated=UPDATED,
        model="qwen",
        system_prompt="Be brief.",
        sampling=sampling,  # type: ignore[arg-type]
        pinned=bool(pinned),
        archived=bool(archived),
        active_leaf_id="m9",
    )
    assert built == expected
    assert vars(built) == vars(expected)  # every field set, nothing more
    assert type(built.pinned) is bool and type(built.archived) is bool
    assert dataclasses.replace(built, title="New").title == "New"
    assert pickle.loads(pickle.dumps(built)) == built  # noqa: S301 - our own bytes
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.title = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "sampling", [{}, {"temperature": 0.7, "seed": 1}, {"stop": ["\n"], "grammar": {"a": 1}}]
)
def test_each_row_gets_its_own_sampling_settings(sampling: dict[str, object]) -> None:
    """Parsed settings are reused between rows, but no record shares a mutable value."""
    row = ("c1", "", stored(CREATED), stored(CREATED), None, "", json.dumps(sampling), 0, 0, None)
    first = conversation_from_tuple(row)
    first.sampling["extra"] = 1  # type: ignore[index]
    for value in first.sampling.values():
        if isinstance(value, list | dict):
            value.clear()
    second = conversation_from_tuple(row)
    assert second.sampling == sampling
    assert first.sampling is not second.sampling


@pytest.mark.parametrize("complete", [0, 1])
def test_a_message_from_a_row_equals_one_from_init(complete: int) -> None:
    row = ("m1", "c1", "m0", "assistant", "Hello", stored(CREATED), complete, "qwen", "stop")
    row += (812, 300, 0.21, 950.0, 31.5)
    built = message_from_tuple(row)
    expected = Message(
        id="m1",
        conversation_id="c1",
        parent_id="m0",
        role="assistant",
        content="Hello",
        created=CREATED,
        complete=bool(complete),
        model="qwen",
        finish_reason="stop",
        prompt_tokens=812,
        completion_tokens=300,
        time_to_first_token_s=0.21,
        prompt_tokens_per_s=950.0,
        decode_tokens_per_s=31.5,
    )
    assert built == expected
    assert vars(built) == vars(expected)
    assert type(built.complete) is bool


def test_the_column_lists_follow_the_fields() -> None:
    """The row builders unpack rows by position: the SELECTs must list the fields in order."""
    for record, columns in ((Conversation, conversations.COLUMNS), (Message, messages.COLUMNS)):
        assert columns.split(", ") == [field.name for field in dataclasses.fields(record)]
