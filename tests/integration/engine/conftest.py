"""One real engine with the real starter model, shared by a test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import (
    ChatFinished,
    ChatMessage,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)

GREEDY = SamplingSettings(temperature=0.0, max_tokens=48)


@pytest.fixture(scope="module")
def engine(starter_model_path: Path) -> Iterator[Engine]:
    """A worker with the starter model loaded (2 threads: CI has 2 cores)."""
    with Engine() as engine:
        engine.load(starter_model_path, LoadSettings(context_size=2048, threads=2, batch_threads=2))
        yield engine


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
