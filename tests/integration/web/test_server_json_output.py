"""response_format through the server, with the official `openai` client and the starter model.

The grammar guarantees the JSON only for an answer that ended by itself
(finish_reason "stop"), so each test asks for that first; the prompts and
schemas are small enough that the starter model finishes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import openai
import pytest
from pydantic import BaseModel

from tests.integration.web.conftest import RunningServer

STARTER = "smollm2-135m-instruct"
CAPITAL = [{"role": "user", "content": "What is the capital of France? Answer in JSON."}]
POEM = [{"role": "user", "content": "Write a long poem about the sea."}]
CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
MOOD = {
    "type": "object",
    "properties": {"mood": {"enum": ["happy", "sad"]}},
    "required": ["mood"],
}


class Capital(BaseModel):
    """What `client.chat.completions.parse` turns into a strict json_schema."""

    city: str


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0) as client:
        yield client


def test_json_object_makes_the_answer_a_json_object(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=STARTER,
        messages=CAPITAL,  # type: ignore[arg-type]
        response_format={"type": "json_object"},
        temperature=0,
        max_tokens=96,
    )
    (choice,) = answer.choices
    assert choice.finish_reason == "stop"
    assert isinstance(json.loads(choice.message.content or ""), dict)


def test_json_schema_gives_the_fields_it_asks_for(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=STARTER,
        messages=CAPITAL,  # type: ignore[arg-type]
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "capital", "schema": CITY, "strict": True},
        },
        temperature=0,
        max_tokens=96,
    )
    (choice,) = answer.choices
    assert choice.finish_reason == "stop"
    city = json.loads(choice.message.content or "")["city"]
    assert isinstance(city, str) and city.strip()


def test_the_clients_parse_helper_gets_a_pydantic_object(client: openai.OpenAI) -> None:
    answer = client.chat.completions.parse(
        model=STARTER,
        messages=CAPITAL,  # type: ignore[arg-type]
        response_format=Capital,
        temperature=0,
        max_tokens=96,
    )
    (choice,) = answer.choices
    assert choice.finish_reason == "stop"
    assert isinstance(choice.message.parsed, Capital) and choice.message.parsed.city.strip()


def test_a_streamed_answer_sampled_hot_still_follows_the_schema(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model=STARTER,
        messages=POEM,  # type: ignore[arg-type]
        response_format={"type": "json_schema", "json_schema": {"name": "mood", "schema": MOOD}},
        temperature=1.0,
        seed=3,
        max_tokens=64,
        stream=True,
    )
    chunks = [chunk for chunk in stream if chunk.choices]
    text = "".join(chunk.choices[0].delta.content or "" for chunk in chunks)
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert json.loads(text)["mood"] in {"happy", "sad"}


def test_completions_take_json_object_too(client: openai.OpenAI) -> None:
    answer = client.completions.create(
        model=STARTER,
        prompt="The capital of France as JSON:",
        temperature=0,
        max_tokens=64,
        extra_body={
            "response_format": {"type": "json_schema", "json_schema": {"name": "c", "schema": CITY}}
        },
    )
    (choice,) = answer.choices
    assert choice.finish_reason == "stop"
    assert isinstance(json.loads(choice.text)["city"], str)


@pytest.mark.parametrize(
    ("response_format", "phrase"),
    [
        (
            {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "spaceship"}}},
            "cannot be enforced",
        ),
        ({"type": "json_schema", "json_schema": {"schema": CITY}}, "name"),
        ({"type": "yaml"}, "text, json_object or json_schema"),
        ("json", "must be an object"),
    ],
)
def test_a_response_format_that_cannot_be_enforced_is_a_400_naming_it(
    client: openai.OpenAI, response_format: object, phrase: str
) -> None:
    with pytest.raises(openai.BadRequestError, match=phrase) as caught:
        client.chat.completions.create(
            model=STARTER,
            messages=CAPITAL,  # type: ignore[arg-type]
            response_format=response_format,  # type: ignore[arg-type]
            stream=True,
        )
    assert caught.value.status_code == 400
    assert caught.value.param == "response_format"
