"""The engine answers with the real starter model: streaming, stopping, reuse, limits."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from nexthub.engine import (
    ChatFinished,
    ChatMessage,
    ContextOverflowError,
    ContextTrimmed,
    Engine,
    LoadSettings,
    SamplingSettings,
    TextDelta,
)
from tests.integration.engine.conftest import GREEDY, run_chat

HELLO = [ChatMessage("user", "What is the capital of France?")]


def test_answer_streams_as_pieces_then_ends_with_usage_and_timings(engine: Engine) -> None:
    events, final = run_chat(engine, HELLO)
    deltas = [e for e in events if isinstance(e, TextDelta)]
    # The first piece goes as soon as it has text; the rest follow (one piece per
    # 100 ms, so how many depends on the machine's speed, not checked here).
    assert len(deltas) >= 2, "the answer should arrive in pieces, not all at the end"
    assert deltas[0].completion_tokens < final.usage.completion_tokens
    assert "Paris" in final.text
    assert final.finish_reason in {"stop", "length"}
    assert final.usage.prompt_tokens > 5
    assert final.usage.completion_tokens >= len(deltas) - 1
    assert final.timings.time_to_first_token_s > 0
    assert final.timings.decode_tokens_per_s > 0
    assert final.timings.prompt_tokens_per_s > 0


def test_the_model_info_reports_the_gguf_template_and_settings(engine: Engine) -> None:
    info = engine.model_info
    assert info is not None
    assert info.template_source == "gguf"
    assert info.context_size == 2048
    assert info.gpu_layers == 0  # this machine has no GPU
    assert info.flash_attention is False  # so flash attention stays off (docs/ENGINE.md)
    assert 100_000_000 < info.parameter_count < 200_000_000


def test_max_tokens_ends_the_answer_with_reason_length(engine: Engine) -> None:
    _, final = run_chat(
        engine,
        [ChatMessage("user", "Write a long story about a dragon.")],
        SamplingSettings(temperature=0.0, max_tokens=5),
    )
    assert final.finish_reason == "length"
    assert final.usage.completion_tokens == 5


def test_an_answer_that_fills_the_context_ends_with_reason_length(
    starter_model_path: Path,
) -> None:
    with Engine() as small:
        small.load(starter_model_path, LoadSettings(context_size=256, threads=2, batch_threads=2))
        sampling = SamplingSettings(temperature=0.0, max_tokens=None, ignore_eos=True)
        final = list(small.complete("Once upon a time", sampling))[-1]
        assert isinstance(final, ChatFinished)
        assert final.finish_reason == "length"
        # The last token is chosen from the full context; there is no room to evaluate it.
        assert final.usage.prompt_tokens + final.usage.completion_tokens == 256 + 1


def test_a_stop_string_ends_the_answer_and_is_not_returned(engine: Engine) -> None:
    _, unstopped = run_chat(engine, HELLO)
    word = unstopped.text.split()[2]  # a word from the middle of the usual answer
    _, final = run_chat(
        engine, HELLO, SamplingSettings(temperature=0.0, max_tokens=48, stop=(word,))
    )
    assert final.finish_reason == "stop"
    assert word not in final.text
    assert unstopped.text.startswith(final.text)


def test_the_same_seed_gives_the_same_answer(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0.9, seed=1234, max_tokens=24)
    prompt = [ChatMessage("user", "Tell me a fun fact.")]
    _, first = run_chat(engine, prompt, sampling)
    _, second = run_chat(engine, prompt, sampling)
    assert first.text == second.text


def test_a_follow_up_turn_evaluates_only_the_new_tokens(engine: Engine) -> None:
    history = [ChatMessage("system", "You are a geography teacher."), *HELLO]
    _, first = run_chat(engine, history)
    history += [ChatMessage("assistant", first.text), ChatMessage("user", "And of Italy?")]
    _, second = run_chat(engine, history)
    # Everything up to the end of the first answer was already in the KV cache.
    assert second.usage.prompt_tokens > first.usage.prompt_tokens + first.usage.completion_tokens
    assert second.usage.prompt_tokens_cached >= first.usage.prompt_tokens
    assert second.usage.prompt_tokens_evaluated < 20


def test_a_different_conversation_evaluates_its_whole_prompt(engine: Engine) -> None:
    run_chat(engine, HELLO)
    _, other = run_chat(engine, [ChatMessage("system", "Reply in French."), *HELLO])
    # Only the template's opening tokens can be shared.
    assert other.usage.prompt_tokens_evaluated > other.usage.prompt_tokens - 5


def test_cancel_stops_within_200_ms_and_keeps_the_text(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0.8, seed=7, max_tokens=1500)
    events = engine.chat([ChatMessage("user", "Write a very long essay about rivers.")], sampling)
    received: list[str] = []
    cancelled_at = 0.0
    tokens_seen = 0
    final = None
    for event in events:
        if isinstance(event, TextDelta):
            received.append(event.text)
            if len(received) == 5:  # pieces come every 100 ms: about half a second in
                cancelled_at = time.perf_counter()
                tokens_seen = event.completion_tokens
                engine.cancel()
        elif isinstance(event, ChatFinished):
            final = event
    stopped_after = time.perf_counter() - cancelled_at
    assert final is not None
    assert final.finish_reason == "cancelled"
    assert stopped_after < 0.2
    # Text the worker had gathered but not yet sent arrives before the final event.
    assert final.text == "".join(received)
    # No more tokens than the cancel's 200 ms (and one gathering interval) allow.
    decoded_meanwhile = final.usage.completion_tokens - tokens_seen
    assert decoded_meanwhile <= 2 + 0.25 * final.timings.decode_tokens_per_s


def test_cancel_from_another_thread_while_the_answer_streams(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0.8, seed=3, max_tokens=1500)
    timer = threading.Timer(0.3, engine.cancel)
    timer.start()
    _, final = run_chat(engine, [ChatMessage("user", "List every number you know.")], sampling)
    timer.join()
    assert final.finish_reason == "cancelled"
    assert final.usage.completion_tokens < 1500


def test_a_conversation_longer_than_the_context_drops_old_turns_and_says_so(
    starter_model_path: Path,
) -> None:
    with Engine() as small:
        small.load(starter_model_path, LoadSettings(context_size=512, threads=2, batch_threads=2))
        history = [ChatMessage("system", "You are terse.")]
        for i in range(12):
            history.append(ChatMessage("user", f"Question {i}: " + "tell me about rivers " * 6))
            history.append(ChatMessage("assistant", f"Answer {i}: " + "rivers flow to seas " * 6))
        history.append(ChatMessage("user", "What is the capital of France?"))
        events, final = run_chat(small, history, SamplingSettings(temperature=0.0, max_tokens=32))
        trimmed = [e for e in events if isinstance(e, ContextTrimmed)]
        assert len(trimmed) == 1 and isinstance(events[0], ContextTrimmed)
        assert trimmed[0].dropped_messages >= 2 and trimmed[0].dropped_messages % 2 == 0
        assert final.finish_reason in {"stop", "length"}
        assert final.text
        assert final.usage.prompt_tokens <= 512 - 32

        # The next turn keeps the same cut, so the KV cache is reused, not re-filled.
        history += [ChatMessage("assistant", final.text), ChatMessage("user", "And Spain?")]
        events, follow_up = run_chat(
            small, history, SamplingSettings(temperature=0.0, max_tokens=32)
        )
        again = [e for e in events if isinstance(e, ContextTrimmed)]
        assert again and again[0].dropped_messages == trimmed[0].dropped_messages
        assert follow_up.usage.prompt_tokens_cached >= final.usage.prompt_tokens


def test_a_message_too_long_for_the_context_is_a_clear_error(starter_model_path: Path) -> None:
    with Engine() as small:
        small.load(starter_model_path, LoadSettings(context_size=256, threads=2, batch_threads=2))
        with pytest.raises(ContextOverflowError, match="too long"):
            list(small.chat([ChatMessage("user", "rivers " * 400)], GREEDY))
        # The engine is still usable afterwards.
        _, final = run_chat(small, HELLO)
        assert final.text
