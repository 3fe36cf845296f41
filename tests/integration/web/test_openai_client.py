"""The official `openai` client, unchanged, against `nexthub serve` with the starter model."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest

from tests.integration.web.conftest import RunningServer

STARTER = "smollm2-135m-instruct"
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in one word."}]


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0) as client:
        yield client


def test_the_installed_models_are_listed(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert STARTER in ids
    assert client.models.retrieve(STARTER).id == STARTER


def test_a_chat_completion_answers_with_usage(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=STARTER, messages=QUESTION, temperature=0, max_tokens=16, seed=7
    )
    (choice,) = answer.choices
    assert "Paris" in (choice.message.content or "")
    assert choice.message.role == "assistant"
    assert choice.finish_reason in {"stop", "length"}
    assert answer.model == STARTER
    assert answer.usage is not None
    assert answer.usage.prompt_tokens > 0 and 0 < answer.usage.completion_tokens <= 16
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens


def test_max_tokens_cuts_the_answer_and_says_length(client: openai.OpenAI) -> None:
    answer = client.chat.completions.create(
        model=STARTER,
        messages=[{"role": "user", "content": "Write a long story about a dragon."}],
        max_tokens=3,
    )
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 3


def test_a_streamed_chat_joins_to_the_same_answer_and_ends_with_usage(
    client: openai.OpenAI,
) -> None:
    whole = client.chat.completions.create(
        model=STARTER, messages=QUESTION, temperature=0, max_tokens=24
    )
    chunks = list(
        client.chat.completions.create(
            model=STARTER,
            messages=QUESTION,
            temperature=0,
            max_tokens=24,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] in {"stop", "length"}
    usage = chunks[-1].usage
    assert usage is not None and not chunks[-1].choices
    assert usage.completion_tokens == whole.usage.completion_tokens  # type: ignore[union-attr]


def test_a_stop_string_ends_the_answer_before_it(client: openai.OpenAI) -> None:
    prompt = [{"role": "user", "content": "Count from 1 to 10, separated by commas."}]
    free = client.chat.completions.create(
        model=STARTER, messages=prompt, temperature=0, max_tokens=40
    )
    assert "5" in (free.choices[0].message.content or "")
    stopped = client.chat.completions.create(
        model=STARTER, messages=prompt, temperature=0, max_tokens=40, stop=["5"]
    )
    text = stopped.choices[0].message.content or ""
    assert "5" not in text and text == (free.choices[0].message.content or "").split("5")[0]
    assert stopped.choices[0].finish_reason == "stop"


def test_a_text_completion_continues_the_prompt(client: openai.OpenAI) -> None:
    completion = client.completions.create(
        model=STARTER, prompt="1, 2, 3, 4,", temperature=0, max_tokens=6
    )
    assert completion.choices[0].text.strip().startswith("5")
    assert completion.usage is not None and completion.usage.completion_tokens <= 6
    streamed = client.completions.create(
        model=STARTER, prompt="1, 2, 3, 4,", temperature=0, max_tokens=6, stream=True
    )
    assert "".join(c.choices[0].text for c in streamed if c.choices) == completion.choices[0].text


def test_the_same_seed_gives_the_same_answer(client: openai.OpenAI) -> None:
    def ask() -> str:
        answer = client.chat.completions.create(
            model=STARTER,
            messages=[{"role": "user", "content": "Name an animal."}],
            temperature=1.0,
            top_p=0.9,
            seed=1234,
            max_tokens=12,
        )
        return answer.choices[0].message.content or ""

    assert ask() == ask()


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [
        ({"n": 2}, "'n' must be 1"),
        ({"temperature": 5}, "'temperature' must be between 0 and 2"),
        ({"max_tokens": 0}, "'max_tokens' must be at least 1"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "at most 4"),
    ],
)
def test_bad_parameters_are_a_bad_request_with_our_message(
    client: openai.OpenAI, extra: dict[str, object], phrase: str
) -> None:
    with pytest.raises(openai.BadRequestError, match=phrase) as caught:
        client.chat.completions.create(model=STARTER, messages=QUESTION, **extra)  # type: ignore[call-overload]
    assert caught.value.status_code == 400


def test_an_unknown_model_is_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError, match="no-such-model") as caught:
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    assert caught.value.code == "model_not_found"


def test_a_wrong_key_is_refused(server: RunningServer) -> None:
    with (
        openai.OpenAI(base_url=server.base_url, api_key="nh-wrong", max_retries=0) as wrong,
        pytest.raises(openai.AuthenticationError),
    ):
        wrong.models.list()
