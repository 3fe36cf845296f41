"""The context policy keeps the system prompt and the last turn, and cuts old turns in big steps."""

from collections.abc import Sequence

import pytest

from nexthub.engine.context_policy import (
    answer_reserve,
    plan_context,
    remember_cut,
)
from nexthub.engine.errors import ContextOverflowError
from nexthub.engine.types import ChatMessage


def words(messages: Sequence[ChatMessage]) -> int:
    """A stand-in tokenizer: one token per word, plus 4 per message for the template."""
    return sum(len(m.content.split()) + 4 for m in messages)


def conversation(turns: int, words_per_message: int = 10) -> list[ChatMessage]:
    body = " ".join(["w"] * words_per_message)
    messages = [ChatMessage("system", "be brief")]
    for i in range(turns):
        messages.append(ChatMessage("user", f"q{i} {body}"))
        messages.append(ChatMessage("assistant", f"a{i} {body}"))
    return messages


def test_a_conversation_that_fits_is_sent_whole() -> None:
    messages = conversation(3)
    plan = plan_context(messages, words, context_size=1000, reserve=100)
    assert plan.dropped == 0
    assert list(plan.messages) == messages


def test_overflow_keeps_system_and_last_turn_and_drops_whole_old_turns() -> None:
    messages = [*conversation(20), ChatMessage("user", "the newest question")]
    plan = plan_context(messages, words, context_size=300, reserve=50)
    assert plan.messages[0] == ChatMessage("system", "be brief")
    assert plan.messages[-1] == ChatMessage("user", "the newest question")
    assert plan.messages[1].role == "user"  # cut on a turn boundary
    assert plan.dropped % 2 == 0 and plan.dropped > 0
    # One large step: the prompt falls to half of the budget, leaving room to grow.
    assert plan.prompt_tokens <= (300 - 50) // 2
    assert plan.prompt_tokens == words(plan.messages)


def test_follow_up_turns_keep_the_same_cut_until_it_no_longer_fits() -> None:
    messages = [*conversation(20), ChatMessage("user", "q-new")]
    first = plan_context(messages, words, context_size=300, reserve=50)
    memory = remember_cut(messages, first)
    cuts = []
    for turn in range(12):
        messages = [
            *messages,
            ChatMessage("assistant", f"answer {turn} " + "w " * 10),
            ChatMessage("user", f"next {turn}"),
        ]
        plan = plan_context(messages, words, context_size=300, reserve=50, memory=memory)
        memory = remember_cut(messages, plan) or memory
        cuts.append(plan.dropped)
    # The first follow-ups reuse the exact same cut (so the KV cache stays valid)...
    assert cuts[0] == first.dropped
    assert cuts[1] == first.dropped
    # ...and when it must move, it moves by several turns at once, not one.
    moved = [b - a for a, b in zip([first.dropped, *cuts], cuts, strict=False) if b != a]
    assert moved and all(step >= 4 for step in moved)


def test_a_different_conversation_does_not_inherit_the_cut() -> None:
    long = [*conversation(20), ChatMessage("user", "q")]
    memory = remember_cut(long, plan_context(long, words, context_size=300, reserve=50))
    short = conversation(1)
    plan = plan_context(short, words, context_size=300, reserve=50, memory=memory)
    assert plan.dropped == 0


def test_a_single_message_too_long_for_the_context_is_a_clear_error() -> None:
    messages = [ChatMessage("system", "s"), ChatMessage("user", "w " * 500)]
    with pytest.raises(ContextOverflowError, match="too long for this model's context"):
        plan_context(messages, words, context_size=256, reserve=64)


def test_reserve_is_the_answer_length_but_never_more_than_half_the_context() -> None:
    assert answer_reserve(4096, 256) == 256
    assert answer_reserve(4096, 100_000) == 2048
    assert answer_reserve(4096, None) == 1024
