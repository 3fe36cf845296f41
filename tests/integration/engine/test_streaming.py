"""An answer streams in a few messages a second: the first at once, none lost, none late."""

from __future__ import annotations

import time

from nexthub.engine import ChatFinished, Engine, SamplingSettings, TextDelta
from nexthub.engine.coalescer import DELTA_INTERVAL_S

#: A forced 300-token answer: long enough for a few seconds of streaming.
LONG_GREEDY = SamplingSettings(temperature=0.0, max_tokens=300, ignore_eos=True)


def timed_events(engine: Engine, prompt: str) -> tuple[list[tuple[float, TextDelta]], ChatFinished]:
    """Each TextDelta with the parent's clock at its arrival (from when the request was made)."""
    started = time.perf_counter()
    deltas: list[tuple[float, TextDelta]] = []
    final = None
    for event in engine.complete(prompt, LONG_GREEDY):
        if isinstance(event, TextDelta):
            deltas.append((time.perf_counter() - started, event))
        elif isinstance(event, ChatFinished):
            final = event
    assert final is not None
    return deltas, final


def test_a_long_answer_arrives_in_far_fewer_messages_than_tokens(engine: Engine) -> None:
    deltas, final = timed_events(engine, "Once upon a time")
    assert final.finish_reason == "length"
    assert final.usage.completion_tokens == 300
    assert "".join(d.text for _, d in deltas) == final.text
    # At most one message per interval while tokens come (the worker's own clock: first
    # to last token), plus the one with the first token and the last one. At 2 threads
    # the starter model makes 60-100 tokens/s, so one message per token would break this;
    # a machine slower than a token per 100 ms sends every token, and meets it anyway.
    decoding_s = (final.usage.completion_tokens - 1) / final.timings.decode_tokens_per_s
    assert len(deltas) <= 2 + decoding_s / DELTA_INTERVAL_S
    # Each message says how far the answer has got; the last, all of it.
    counts = [d.completion_tokens for _, d in deltas]
    assert counts == sorted(counts)
    assert counts[-1] == final.usage.completion_tokens
    # And it streams rather than arriving at the end: no message carries a quarter of the
    # answer (a model would need 1,500 tokens/s to write that much in one interval).
    per_message = [after - before for before, after in zip([0, *counts], counts, strict=False)]
    assert max(per_message) <= final.usage.completion_tokens / 4


def test_the_first_piece_is_sent_with_the_first_token(engine: Engine) -> None:
    deltas, final = timed_events(engine, "The capital of France is")
    arrived_s, first = deltas[0]
    assert first.completion_tokens == 1
    # It arrives before the second token could have been made.
    one_token_s = 1 / final.timings.decode_tokens_per_s
    assert arrived_s < final.timings.time_to_first_token_s + one_token_s
