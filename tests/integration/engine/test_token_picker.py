"""Plain greedy answers skip llama.cpp's sampler chain (token_picker.LogitsArgmax).

The argmax must pick exactly what the chain would: the same answer, token for
token, as a chain that can only pick the most likely token (top-k 1 before a
random draw at temperature 1), with and without end-of-generation ruled out.
"""

from __future__ import annotations

import dataclasses

from nexthub.engine import ChatFinished, ChatMessage, Engine, SamplingSettings
from tests.integration.engine.conftest import run_chat

#: Takes the argmax path: temperature 0, no repeat penalty, no grammar.
PLAIN_GREEDY = SamplingSettings(temperature=0.0, repeat_penalty=1.0, max_tokens=96)
#: Takes llama.cpp's chain (top-k, temperature, seeded draw), yet can only pick the top token.
CHAIN_TOP_ONE = SamplingSettings(
    temperature=1.0, top_k=1, top_p=1.0, min_p=0.0, repeat_penalty=1.0, max_tokens=96, seed=7
)
QUESTION = [ChatMessage("user", "Name three rivers in Europe and say one thing about each.")]


def _forget_the_cache(engine: Engine) -> None:
    """Evaluate an unrelated prompt, so the next answer's prompt is evaluated whole.

    A prompt evaluated in other batches (the cached prefix, then the rest) gives
    logits that differ in the last bits, enough to tip a near tie between two
    tokens; both answers compared here must start from the same evaluation.
    """
    list(engine.complete("\n", dataclasses.replace(PLAIN_GREEDY, max_tokens=1)))


def _complete(engine: Engine, prompt: str, sampling: SamplingSettings) -> ChatFinished:
    _forget_the_cache(engine)
    final = list(engine.complete(prompt, sampling))[-1]
    assert isinstance(final, ChatFinished)
    return final


def test_plain_greedy_answers_exactly_as_the_sampler_chain_would(engine: Engine) -> None:
    _forget_the_cache(engine)
    _, fast = run_chat(engine, QUESTION, PLAIN_GREEDY)
    _forget_the_cache(engine)
    _, chain = run_chat(engine, QUESTION, CHAIN_TOP_ONE)
    assert fast.usage.completion_tokens > 10
    assert fast.text == chain.text
    assert fast.finish_reason == chain.finish_reason


def test_plain_greedy_with_ignore_eos_never_ends_early_and_matches_the_chain(
    engine: Engine,
) -> None:
    # "The end." invites an end-of-text token soon; ignore_eos must rule it out in both ways.
    prompt = "<|im_start|>user\nSay only: The end.<|im_end|>\n<|im_start|>assistant\nThe end."
    fast = _complete(engine, prompt, dataclasses.replace(PLAIN_GREEDY, ignore_eos=True))
    chain = _complete(engine, prompt, dataclasses.replace(CHAIN_TOP_ONE, ignore_eos=True))
    assert fast.finish_reason == "length"
    assert fast.usage.completion_tokens == PLAIN_GREEDY.max_tokens
    assert fast.text == chain.text


def test_without_ignore_eos_plain_greedy_stops_where_the_model_ends(engine: Engine) -> None:
    prompt = "<|im_start|>user\nSay only: The end.<|im_end|>\n<|im_start|>assistant\n"
    fast = _complete(engine, prompt, PLAIN_GREEDY)
    assert fast.finish_reason == "stop"
    assert fast.usage.completion_tokens < PLAIN_GREEDY.max_tokens
