"""Answers held to JSON by a grammar, with the real starter model."""

from __future__ import annotations

import json

import pytest

from nexthub.engine import (
    ChatMessage,
    Engine,
    GrammarError,
    SamplingSettings,
    json_object_grammar,
    json_schema_grammar,
)
from tests.integration.engine.conftest import run_chat

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
MOOD = {
    "type": "object",
    "properties": {"mood": {"enum": ["happy", "sad"]}},
    "required": ["mood"],
}
CAPITAL = [ChatMessage("user", "What is the capital of France? Answer in JSON.")]
POEM = [ChatMessage("user", "Write a long poem about the sea.")]


def test_a_json_object_grammar_makes_the_answer_a_json_object(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0, max_tokens=96, grammar=json_object_grammar())
    _, final = run_chat(engine, CAPITAL, sampling)
    assert final.finish_reason == "stop"
    assert isinstance(json.loads(final.text), dict)


def test_a_schema_grammar_gives_the_fields_it_asks_for(engine: Engine) -> None:
    sampling = SamplingSettings(temperature=0, max_tokens=96, grammar=json_schema_grammar(CITY))
    _, final = run_chat(engine, CAPITAL, sampling)
    assert final.finish_reason == "stop"
    answer = json.loads(final.text)
    assert isinstance(answer["city"], str) and answer["city"].strip()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_sampling_still_follows_the_schema(engine: Engine, seed: int) -> None:
    """A prompt that asks for a poem, sampled hot, still gets only what the schema allows."""
    grammar = json_schema_grammar(MOOD)
    sampling = SamplingSettings(temperature=1.0, seed=seed, max_tokens=64, grammar=grammar)
    _, final = run_chat(engine, POEM, sampling)
    assert final.finish_reason == "stop"
    assert json.loads(final.text)["mood"] in {"happy", "sad"}


def test_the_same_prompt_without_a_grammar_is_not_json(engine: Engine) -> None:
    """The check above means something: unconstrained, the model writes a poem."""
    _, final = run_chat(engine, POEM, SamplingSettings(temperature=0, max_tokens=32))
    with pytest.raises(ValueError):
        json.loads(final.text)


def test_a_grammar_llama_cpp_cannot_parse_is_refused_and_the_engine_goes_on(
    engine: Engine,
) -> None:
    with pytest.raises(GrammarError):
        run_chat(engine, CAPITAL, SamplingSettings(temperature=0, grammar='answer ::= "yes"'))
    _, final = run_chat(engine, CAPITAL, SamplingSettings(temperature=0, max_tokens=8))
    assert final.text
