"""Embeddings of texts from the loaded model, through a second llama.cpp context.

Why a second context: an embedding needs a context made for it (embeddings
on, mean pooling), and using the chat's context would throw away the KV
cache a conversation's next turn reuses. This one is made the first time
embeddings are asked for and freed with the model.

Any model llama.cpp runs gives embeddings this way: the mean of its last
hidden states over the text's tokens, scaled to length 1 (as OpenAI's and
llama-server's are). A model trained for embeddings gives better ones than
a chat model does, but a chat model's are still similar for similar texts.

Each text is evaluated in one batch (llama.cpp pools per batch), so a text
may be at most :data:`EMBEDDING_CONTEXT` tokens long. This module imports
llama_cpp and must only be imported in the worker.
"""

from __future__ import annotations

import ctypes
import math
from collections.abc import Callable, Sequence

import llama_cpp.llama_cpp as llama

from nexthub.engine.errors import ContextOverflowError, EngineError
from nexthub.engine.types import Embeddings

#: Most tokens in one text. The batch is the whole context, and its compute buffer
#: grows with its square: 1,024 keeps that small next to the chat's own context.
EMBEDDING_CONTEXT = 1024

#: Text to tokens, as the chat's prompts are tokenized.
Tokenize = Callable[[str], list[int]]


class EmbeddingContext:
    """A llama.cpp context that pools each text into one vector."""

    def __init__(
        self, model: llama.llama_model_p, tokenize: Tokenize, *, threads: int, batch_threads: int
    ) -> None:
        self._tokenize = tokenize
        self._size = min(
            EMBEDDING_CONTEXT, llama.llama_model_n_ctx_train(model) or EMBEDDING_CONTEXT
        )
        self._n_embd: int = llama.llama_model_n_embd(model)
        params = llama.llama_context_default_params()
        params.n_ctx = params.n_batch = params.n_ubatch = self._size
        params.n_seq_max = 1
        params.n_threads = threads
        params.n_threads_batch = batch_threads
        params.embeddings = True
        params.pooling_type = llama.LLAMA_POOLING_TYPE_MEAN
        params.no_perf = True
        ctx = llama.llama_init_from_model(model, params)
        if not ctx:
            raise EngineError(f"A {self._size}-token context for embeddings did not fit in memory.")
        self._ctx: llama.llama_context_p | None = ctx

    def embed(self, texts: Sequence[str], should_stop: Callable[[], bool]) -> Embeddings:
        """One unit-length vector per text, in order; stops early (EngineError) if cancelled."""
        tokenized = [self._tokenize(text) for text in texts]
        for index, tokens in enumerate(tokenized):
            if not tokens:
                raise EngineError(f"Input {index} is empty: there is nothing to embed.")
            if len(tokens) > self._size:
                raise ContextOverflowError(
                    f"Input {index} is {len(tokens)} tokens; embeddings take at most "
                    f"{self._size} tokens per input."
                )
        vectors = []
        for tokens in tokenized:
            if should_stop():
                raise EngineError("The embeddings were cancelled.")
            vectors.append(self._embed_one(tokens))
        return Embeddings(
            vectors=tuple(vectors), prompt_tokens=sum(len(tokens) for tokens in tokenized)
        )

    def _embed_one(self, tokens: list[int]) -> tuple[float, ...]:
        llama.llama_memory_clear(llama.llama_get_memory(self._ctx), True)
        array = (llama.llama_token * len(tokens))(*tokens)
        status = llama.llama_decode(self._ctx, llama.llama_batch_get_one(array, len(tokens)))
        if status != 0:
            raise EngineError(f"llama.cpp failed to evaluate the text (status {status}).")
        pooled = llama.llama_get_embeddings_seq(self._ctx, 0)
        if not pooled:
            raise EngineError("llama.cpp gave no embedding for this model.")
        values = ctypes.cast(pooled, ctypes.POINTER(ctypes.c_float))[: self._n_embd]
        norm = math.sqrt(math.fsum(v * v for v in values))
        return tuple(v / norm for v in values) if norm > 0 else tuple(values)

    def close(self) -> None:
        """Free the context (the model stays)."""
        if self._ctx:
            llama.llama_free(self._ctx)
            self._ctx = None
