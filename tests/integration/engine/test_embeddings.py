"""Embeddings from the starter model (a chat model, mean-pooled by llama.cpp)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from nexthub.engine import ChatMessage, ContextOverflowError, Engine, EngineError
from nexthub.engine.gpu_fit import read_model_shape
from tests.integration.engine.conftest import GREEDY, run_chat

CAT = "The cat sat on the mat."
CAT_AGAIN = "A cat was sitting on the rug."
MARKETS = "Stock markets fell sharply after the bank raised interest rates."


def similarity(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_each_text_gets_a_unit_vector_of_the_models_embedding_size(
    engine: Engine, starter_model_path: Path
) -> None:
    result = engine.embed([CAT, MARKETS])
    size = read_model_shape(starter_model_path).embedding_length
    assert [len(v) for v in result.vectors] == [size, size]
    assert all(math.isclose(similarity(v, v), 1.0, rel_tol=1e-4) for v in result.vectors)
    assert result.prompt_tokens > 10


def test_the_same_text_gives_the_same_vector_and_different_texts_differ(engine: Engine) -> None:
    first, other, second = engine.embed([CAT, MARKETS, CAT]).vectors
    assert first == second
    assert first != other
    assert engine.embed([CAT]).vectors[0] == first  # alone or in company, the same


def test_a_similar_sentence_is_closer_than_an_unrelated_one(engine: Engine) -> None:
    cat, cat_again, markets = engine.embed([CAT, CAT_AGAIN, MARKETS]).vectors
    assert similarity(cat, cat_again) > similarity(cat, markets)


def test_embeddings_leave_the_chats_cache_alone(engine: Engine) -> None:
    question = [ChatMessage("user", "Name a colour.")]
    run_chat(engine, question, GREEDY)
    engine.embed([MARKETS])
    _, again = run_chat(engine, question, GREEDY)
    assert again.usage.prompt_tokens_evaluated == 1  # all but the last token came from cache


def test_empty_and_too_long_inputs_are_refused_and_the_engine_goes_on(engine: Engine) -> None:
    with pytest.raises(EngineError, match="empty"):
        engine.embed([CAT, ""])
    with pytest.raises(ContextOverflowError, match="at most"):
        engine.embed(["word " * 2000])
    assert len(engine.embed([CAT]).vectors) == 1
