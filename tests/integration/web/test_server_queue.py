"""One model, many clients: a fair queue with visible positions, and disconnect cancels.

A long streamed completion holds the model; a second stream waits and is told
its queue position; when the first client hangs up mid-stream, its generation
is cancelled and the waiting one is served at once, not after the first
answer would have run its course (1500 tokens: hundreds of times longer than
the short answer). Times are compared with the same short request served on
an idle model, so a busy test machine slows both sides alike.
"""

from __future__ import annotations

import json
import time

import httpx
import pytest

from tests.integration.web.conftest import RunningServer

STARTER = "smollm2-135m-instruct"
#: A raw prompt the model keeps counting from, far longer than the short requests.
COUNTING = {"model": STARTER, "prompt": "1, 2, 3, 4, 5,", "temperature": 0, "max_tokens": 1500}
SHORT_CHAT = {
    "model": STARTER,
    "messages": [{"role": "user", "content": "Say yes."}],
    "max_tokens": 4,
}
#: Seconds a cancel may add: the engine's grace before it stops a worker, and a reload.
CANCEL_ALLOWANCE_S = 8


def idle_seconds(client: httpx.Client, path: str, body: dict[str, object]) -> float:
    """How long a request takes when nothing else uses the model."""
    started = time.monotonic()
    assert client.post(path, json=body).status_code == 200
    return time.monotonic() - started


def test_a_waiting_stream_sees_its_position_and_a_hang_up_frees_the_model(
    server: RunningServer,
) -> None:
    with server.client() as first_client, server.client() as second_client:
        baseline = idle_seconds(second_client, "/v1/chat/completions", SHORT_CHAT)
        with first_client.stream(
            "POST", "/v1/completions", json={**COUNTING, "stream": True}
        ) as first:
            assert first.status_code == 200
            first_lines = first.iter_lines()
            while not next(first_lines).startswith("data: "):
                pass  # the first answer has started

            short = {**SHORT_CHAT, "stream": True}
            with second_client.stream("POST", "/v1/chat/completions", json=short) as second:
                assert second.status_code == 200
                second_lines = second.iter_lines()
                assert next(second_lines) == ": queue position 1"

                first.close()  # the first client hangs up mid-answer
                hung_up = time.monotonic()
                events = [line for line in second_lines if line.startswith("data: ")]
                served_in = time.monotonic() - hung_up

    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in events[:-1]]
    assert chunks[-1]["choices"][0]["finish_reason"] in {"stop", "length"}
    limit = 2 * baseline + CANCEL_ALLOWANCE_S
    assert served_in < limit, f"served {served_in:.1f} s after the hang-up (idle: {baseline:.1f} s)"


def test_a_non_streaming_client_that_hangs_up_frees_the_model(server: RunningServer) -> None:
    short = {**COUNTING, "max_tokens": 3}
    with server.client() as client:
        baseline = idle_seconds(client, "/v1/completions", short)
        with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
            client.post("/v1/completions", json=COUNTING, timeout=httpx.Timeout(60, read=0.1))
        started = time.monotonic()
        reply = client.post("/v1/completions", json=short)
        served_in = time.monotonic() - started
    assert reply.status_code == 200, reply.text
    limit = 2 * baseline + CANCEL_ALLOWANCE_S
    assert served_in < limit, f"the next request took {served_in:.1f} s (idle: {baseline:.1f} s)"
