"""What `nexthub serve` prints is what a client uses: the model it names is the API's model id."""

from __future__ import annotations

import openai

from tests.integration.web.conftest import RunningServer


def test_the_model_named_at_start_is_the_one_clients_ask_for(server: RunningServer) -> None:
    assert server.announced_model == "smollm2-135m-instruct"
    with openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0) as client:
        assert client.models.retrieve(server.announced_model).id == server.announced_model
