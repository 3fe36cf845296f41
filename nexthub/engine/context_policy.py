"""What to do when a conversation outgrows the model's context window.

llama.cpp cannot evaluate a prompt longer than its context, and
llama-cpp-python has no context shift: it raises. NextHub's policy, applied
before every answer:

1. The answer needs room: the prompt may use ``context_size - reserve``
   tokens, where the reserve is the answer's ``max_tokens`` (a quarter of the
   context when unlimited), never more than half the context.
2. Leading system messages are always kept, and so is the last turn (the
   newest user message and anything after it).
3. Otherwise whole turns (a user message and the replies to it) are left out,
   oldest first, in one large step: enough that the prompt falls to half of
   what it may use. Because each cut leaves room for several more turns, and
   the next request keeps the same cut while it still fits
   (:class:`TrimMemory`), the KV cache stays valid between cuts: each cut
   costs one re-evaluation of the prompt, not one per turn.
4. The caller is told how many messages were left out (a ContextTrimmed
   event), so a user never gets an answer to a conversation the model did not
   see without knowing.
5. If the system messages and the last turn alone do not fit, the request
   fails with :class:`ContextOverflowError`; nothing is cut silently from the
   middle of a message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from nexthub.engine.errors import ContextOverflowError
from nexthub.engine.types import ChatMessage

TokenCounter = Callable[[Sequence[ChatMessage]], int]


@dataclass(frozen=True)
class TrimPlan:
    """The messages to send to the model after applying the policy."""

    messages: tuple[ChatMessage, ...]
    #: How many old messages were left out (0 when everything fit).
    dropped: int
    prompt_tokens: int


@dataclass(frozen=True)
class TrimMemory:
    """The last cut, so that a follow-up turn of the same conversation keeps it.

    ``anchor`` is the start of the request that was cut, up to and including
    the first kept message; a later request that starts the same way is the
    same conversation.
    """

    anchor: tuple[ChatMessage, ...]
    dropped: int

    def sticky_drop(self, messages: Sequence[ChatMessage]) -> int:
        """The previous cut if ``messages`` continue the same conversation, else 0."""
        if len(messages) > len(self.anchor) and tuple(messages[: len(self.anchor)]) == self.anchor:
            return self.dropped
        return 0


def answer_reserve(context_size: int, max_tokens: int | None) -> int:
    """Tokens kept free for the answer."""
    wanted = max_tokens if max_tokens is not None else context_size // 4
    return max(1, min(wanted, context_size // 2))


def plan_context(
    messages: Sequence[ChatMessage],
    count_tokens: TokenCounter,
    *,
    context_size: int,
    reserve: int,
    memory: TrimMemory | None = None,
) -> TrimPlan:
    """Choose which messages the model sees; see the module docstring for the policy."""
    if not messages:
        raise ValueError("a chat needs at least one message")
    budget = context_size - reserve
    n_system = _leading_system_count(messages)
    system, body = tuple(messages[:n_system]), tuple(messages[n_system:])
    boundaries = _turn_starts(body)  # drop counts that cut on a turn boundary

    def tokens_after_dropping(drop: int) -> int:
        return count_tokens(system + body[drop:])

    start = memory.sticky_drop(messages) if memory else 0
    if start not in boundaries:
        start = 0
    tokens = tokens_after_dropping(start)
    if tokens <= budget:
        return TrimPlan(system + body[start:], start, tokens)

    # One large step: the smallest cut that brings the prompt to half the budget,
    # else the deepest cut (only the last turn kept) if that fits at all.
    candidates = [b for b in boundaries if b > start]
    target = budget // 2
    chosen = _first_fitting(candidates, tokens_after_dropping, target)
    if chosen is None and candidates:
        deepest = candidates[-1]
        if tokens_after_dropping(deepest) <= budget:
            chosen = deepest
    if chosen is None:
        needed = tokens_after_dropping(boundaries[-1])
        raise ContextOverflowError(
            f"The newest message is too long for this model's context window: it needs "
            f"{needed} tokens with the system prompt, and {budget} are free after keeping "
            f"{reserve} for the answer ({context_size} in all). Shorten the message or the "
            "system prompt, or load the model with a larger context size."
        )
    return TrimPlan(system + body[chosen:], chosen, tokens_after_dropping(chosen))


def remember_cut(messages: Sequence[ChatMessage], plan: TrimPlan) -> TrimMemory | None:
    """What to remember of this plan for the next request (None if nothing was cut)."""
    if plan.dropped == 0:
        return None
    n_system = _leading_system_count(messages)
    return TrimMemory(tuple(messages[: n_system + plan.dropped + 1]), plan.dropped)


def _leading_system_count(messages: Sequence[ChatMessage]) -> int:
    count = 0
    for message in messages:
        if message.role != "system":
            break
        count += 1
    return count


def _turn_starts(body: Sequence[ChatMessage]) -> list[int]:
    """Indices where a turn begins: 0, and every user message after the first.

    The last index is where the last turn begins, the deepest allowed cut.
    """
    starts = [0]
    starts.extend(i for i, m in enumerate(body) if m.role == "user" and i > 0)
    return starts


def _first_fitting(
    candidates: Sequence[int], tokens_after: Callable[[int], int], limit: int
) -> int | None:
    """The smallest candidate cut whose prompt is within ``limit`` (binary search).

    Dropping more never makes a prompt longer, so the fitting cuts form a suffix.
    """
    low, high, found = 0, len(candidates) - 1, None
    while low <= high:
        mid = (low + high) // 2
        if tokens_after(candidates[mid]) <= limit:
            found, high = candidates[mid], mid - 1
        else:
            low = mid + 1
    return found
