"""The worker sends an answer's text a few times a second: first piece at once, nothing lost."""

from __future__ import annotations

from nexthub.engine.coalescer import DELTA_INTERVAL_S, DeltaCoalescer
from nexthub.engine.types import ContextTrimmed, TextDelta


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def coalescer() -> tuple[DeltaCoalescer, list[object], FakeClock]:
    sent: list[object] = []
    clock = FakeClock()
    return DeltaCoalescer(sent.append, clock=clock), sent, clock


def test_the_first_piece_is_sent_at_once() -> None:
    emit, sent, _ = coalescer()
    emit(TextDelta("Hello", 1))
    assert sent == [TextDelta("Hello", 1)]


def test_pieces_within_the_interval_are_gathered_into_one_message() -> None:
    emit, sent, clock = coalescer()
    emit(TextDelta("The", 1))
    for tokens, piece in enumerate([" sky", " is", " blue"], start=2):
        clock.now += DELTA_INTERVAL_S / 4
        emit(TextDelta(piece, tokens))
    assert sent == [TextDelta("The", 1)]
    clock.now += DELTA_INTERVAL_S / 4  # a whole interval since the first message
    emit(TextDelta(".", 5))
    assert sent == [TextDelta("The", 1), TextDelta(" sky is blue.", 5)]


def test_flush_sends_what_is_left_and_nothing_when_nothing_is() -> None:
    emit, sent, clock = coalescer()
    emit(TextDelta("a", 1))
    clock.now += 0.001
    emit(TextDelta("b", 2))
    emit(TextDelta("c", 3))
    emit.flush()
    emit.flush()
    assert sent == [TextDelta("a", 1), TextDelta("bc", 3)]
    assert "".join(d.text for d in sent if isinstance(d, TextDelta)) == "abc"


def test_other_events_go_at_once_after_the_text_gathered_before_them() -> None:
    emit, sent, clock = coalescer()
    emit(TextDelta("a", 1))
    clock.now += 0.001
    emit(TextDelta("b", 2))
    trimmed = ContextTrimmed(dropped_messages=2, kept_messages=3, context_size=512)
    emit(trimmed)
    assert sent == [TextDelta("a", 1), TextDelta("b", 2), trimmed]


def test_a_slow_model_sends_every_token_as_it_comes() -> None:
    emit, sent, clock = coalescer()
    for tokens in range(1, 6):
        emit(TextDelta(f"w{tokens} ", tokens))
        clock.now += DELTA_INTERVAL_S  # one token per interval
    assert [d.completion_tokens for d in sent if isinstance(d, TextDelta)] == [1, 2, 3, 4, 5]


def test_a_fast_stream_sends_at_most_one_message_per_interval() -> None:
    emit, sent, clock = coalescer()
    for tokens in range(1, 1001):  # 1,000 tokens at 2 ms each: 2 seconds
        emit(TextDelta("x", tokens))
        clock.now += 0.002
    emit.flush()
    deltas = [d for d in sent if isinstance(d, TextDelta)]
    assert len(deltas) == len(sent)
    assert 2.0 / DELTA_INTERVAL_S - 1 <= len(deltas) <= 2.0 / DELTA_INTERVAL_S + 2
    assert "".join(d.text for d in deltas) == "x" * 1000
    assert deltas[-1].completion_tokens == 1000
