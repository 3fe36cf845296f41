"""JSON Schema to GBNF in the app process: clear refusals, and llama.cpp is never loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nexthub.engine import GrammarError, SamplingSettings, json_object_grammar, json_schema_grammar


def test_a_schema_becomes_a_grammar_with_its_fields_and_a_root() -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    grammar = json_schema_grammar(schema)
    assert grammar.count("root ::=") == 1
    assert '"\\"city\\""' in grammar


def test_the_json_object_grammar_has_a_root_that_is_an_object() -> None:
    assert "root   ::= object" in json_object_grammar()


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "spaceship"},
        {"$ref": "https://example.com/schema.json"},
        {"type": "string", "pattern": "[a-z]+"},
        {"not": {"type": "string"}},
        ["not", "an", "object"],
        "string",
        {"type": "array", "items": {"type": "integer"}, "minItems": 100_000},
    ],
)
def test_a_schema_the_converter_cannot_handle_is_a_grammar_error(schema: object) -> None:
    with pytest.raises(GrammarError, match="schema"):
        json_schema_grammar(schema)


def test_making_a_grammar_does_not_load_llama_cpp() -> None:
    code = (
        "import sys; from nexthub.engine import json_schema_grammar; "
        "json_schema_grammar({'type': 'object'}); "
        "print(sorted(m for m in sys.modules if m.startswith('llama_cpp')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"grammar": "  "}, "grammar must not be empty"),
        ({"grammar": 'root ::= "a"', "ignore_eos": True}, "ignore_eos"),
    ],
)
def test_sampling_settings_refuse_a_grammar_that_cannot_work(
    settings: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        SamplingSettings(**settings)  # type: ignore[arg-type]
