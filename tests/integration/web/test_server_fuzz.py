"""The API fuzzed from its OpenAPI document (schemathesis): whatever is sent, never a 5xx.

Against the session's real `nexthub serve` with the starter model. The
document is the one the server publishes at /v1/openapi.json (the first test
checks they are the same). Schemathesis makes requests that follow the
document and requests that break it; every answer must be a success or a
4xx with an OpenAI-style error object.

Three adjustments, all so that fuzzed requests reach the engine quickly:
a string ``model`` is set to the starter model (a random name would stop at
404 every time), ``max_tokens`` is capped at a few tokens, and an embeddings
``input`` array at a few strings (this test is about handling the input, not
about the length of answers or batches, which test_openai_client.py and
test_server_embeddings.py cover).
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from nexthub.web.openai_api import OPENAPI_DOCUMENT
from tests.integration.web.conftest import RunningServer

STARTER = "smollm2-135m-instruct"
MAX_TOKENS = 4
MAX_INPUTS = 3

schema = schemathesis.openapi.from_dict(json.loads(OPENAPI_DOCUMENT.read_text()))


def test_the_server_publishes_the_document_the_fuzzing_reads(server: RunningServer) -> None:
    with server.client() as client:
        published = client.get("/v1/openapi.json")
    assert published.status_code == 200
    assert published.json() == json.loads(OPENAPI_DOCUMENT.read_text())
    assert set(published.json()["paths"]) >= {"/v1/models", "/v1/chat/completions"}


def _reach_the_engine(body: Any) -> None:
    if not isinstance(body, dict):
        return
    if isinstance(body.get("model"), str):
        body["model"] = STARTER
    for name in ("max_tokens", "max_completion_tokens"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > MAX_TOKENS:
            body[name] = MAX_TOKENS
    body.setdefault("max_tokens", MAX_TOKENS)
    if isinstance(body.get("input"), list):
        body["input"] = body["input"][:MAX_INPUTS]


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_gets_a_server_error(case: schemathesis.Case, server: RunningServer) -> None:
    _reach_the_engine(case.body)
    response = case.call(
        base_url=server.origin, headers={"Authorization": f"Bearer {server.key}"}, timeout=120
    )
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["message"], str) and error["message"]


def test_a_deeply_nested_body_is_a_bad_request(server: RunningServer) -> None:
    """Python's JSON parser gives up on deep nesting with RecursionError, not ValueError."""
    body = b"[" * 100_000 + b"]" * 100_000
    with server.client() as client:
        response = client.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "application/json"}
        )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]
