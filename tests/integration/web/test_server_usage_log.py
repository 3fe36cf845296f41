"""The API's usage log: each model call is counted by key, endpoint and model; no content is kept.

Against the session's real `nexthub serve`, with a key made for this module
alone so that its rows are only these calls. The log is read back the way a
user reads it, with `nexthub keys usage`, from a second process.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import openai
import pytest

from tests.integration.web.conftest import RunningServer, nexthub

STARTER = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def usage_key(server: RunningServer) -> str:
    made = nexthub(server.home, "keys", "create", "usage-log-test", "--quiet")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@pytest.fixture(scope="module")
def client(server: RunningServer, usage_key: str) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=usage_key, max_retries=0) as client:
        yield client


def usage_rows(server: RunningServer) -> list[list[str]]:
    """`nexthub keys usage`'s rows for this module's key, split on runs of spaces."""
    shown = nexthub(server.home, "keys", "usage")
    assert shown.returncode == 0, shown.stderr
    return [line.split() for line in shown.stdout.splitlines() if "usage-log-test" in line]


def test_calls_are_counted_with_their_tokens_and_failures(
    server: RunningServer, client: openai.OpenAI
) -> None:
    marker = f"marker-{secrets.token_hex(6)}"
    asked = [{"role": "user", "content": f"Repeat after me: {marker}"}]
    whole = client.chat.completions.create(model=STARTER, messages=asked, max_tokens=8)
    stream = client.chat.completions.create(
        model=STARTER,
        messages=asked,
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
    )
    streamed_usage = [chunk.usage for chunk in stream if chunk.usage is not None]
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=STARTER, messages=[], max_tokens=8)
    assert whole.usage is not None and len(streamed_usage) == 1

    rows = usage_rows(server)
    # DAY KEY (PREFIX…) ENDPOINT MODEL CALLS FAILED IN OUT MEAN s
    by_model = {row[4]: row for row in rows}
    assert set(by_model) == {STARTER, "-"}, rows
    answered = by_model[STARTER]
    assert answered[3] == "chat/completions"
    assert answered[5:9] == [
        "2",
        "0",
        str(whole.usage.prompt_tokens + streamed_usage[0].prompt_tokens),
        str(whole.usage.completion_tokens + streamed_usage[0].completion_tokens),
    ]
    refused = by_model["-"]
    assert refused[5:7] == ["1", "1"]

    # What was asked and answered is kept nowhere: the chats do not hold it either.
    export = nexthub(server.home, "data", "export")
    assert export.returncode == 0, export.stderr
    assert marker not in export.stdout
    assert marker not in server.log.read_text()


def test_a_call_without_a_valid_key_is_not_counted(server: RunningServer) -> None:
    before = usage_rows(server)
    with server.client(key="nh-not-a-key") as raw:
        refused = raw.post("/v1/chat/completions", json={"model": STARTER, "messages": []})
    assert refused.status_code == 401
    assert usage_rows(server) == before
