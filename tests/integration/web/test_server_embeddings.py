"""POST /v1/embeddings through the server, with the official `openai` client, starter model."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from nexthub.engine.gpu_fit import read_model_shape
from tests.integration.web.conftest import RunningServer

STARTER = "smollm2-135m-instruct"
CAT = "The cat sat on the mat."
CAT_AGAIN = "A cat was sitting on the rug."
MARKETS = "Stock markets fell sharply after the bank raised interest rates."


@pytest.fixture(scope="module")
def client(server: RunningServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key=server.key, max_retries=0) as client:
        yield client


def similarity(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_the_client_gets_one_unit_vector_per_input_in_order(
    client: openai.OpenAI, starter_model_path: Path
) -> None:
    """The client asks for base64 unless told otherwise; it decodes what we send."""
    result = client.embeddings.create(model=STARTER, input=[CAT, MARKETS, CAT_AGAIN, CAT])
    size = read_model_shape(starter_model_path).embedding_length
    assert result.object == "list" and result.model == STARTER
    assert [item.index for item in result.data] == [0, 1, 2, 3]
    vectors = [item.embedding for item in result.data]
    assert {len(v) for v in vectors} == {size}
    assert all(math.isclose(similarity(v, v), 1.0, rel_tol=1e-4) for v in vectors)
    cat, markets, cat_again, cat_repeated = vectors
    assert cat == cat_repeated and cat != markets
    assert similarity(cat, cat_again) > similarity(cat, markets)
    assert result.usage.prompt_tokens > 0
    assert result.usage.total_tokens == result.usage.prompt_tokens


def test_float_and_base64_carry_the_same_vector(client: openai.OpenAI) -> None:
    as_floats = client.embeddings.create(model=STARTER, input=CAT, encoding_format="float")
    as_base64 = client.embeddings.create(model=STARTER, input=CAT)
    (floats,), (decoded,) = as_floats.data, as_base64.data
    assert floats.embedding == pytest.approx(decoded.embedding, rel=1e-6)


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"input": ""}, "input"),
        ({"input": [[1, 2, 3]]}, "input"),
        ({"input": CAT, "dimensions": 3}, "dimensions"),
        ({"input": "word " * 2000}, "input"),
    ],
)
def test_what_cannot_be_embedded_is_a_400_naming_the_parameter(
    client: openai.OpenAI, extra: dict[str, object], param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.embeddings.create(model=STARTER, **extra)  # type: ignore[arg-type]
    assert caught.value.status_code == 400
    assert caught.value.param == param
