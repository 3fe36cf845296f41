"""Helpers for the engine tests (the `engine` fixture is in tests/integration/conftest.py)."""

from __future__ import annotations

from nexthub.engine import ChatFinished, ChatMessage, Engine, SamplingSettings, TextDelta

GREEDY = SamplingSettings(temperature=0.0, max_tokens=48)


def run_chat(
    engine: Engine, messages: list[ChatMessage], sampling: SamplingSettings = GREEDY
) -> tuple[list[object], ChatFinished]:
    """All events of one answer, and its final event."""
    events = list(engine.chat(messages, sampling))
    final = events[-1]
    assert isinstance(final, ChatFinished)
    streamed = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert streamed == final.text, "the streamed pieces must add up to the final text"
    return events, final
