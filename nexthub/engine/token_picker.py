"""Choosing each next token: llama.cpp's sampler chain, or an argmax for plain greedy.

Why two ways: ``llama_sampler_sample`` first copies every logit into an
n_vocab-long array of (id, logit, probability) records, about 0.6 MB for a
49,000-token vocabulary, before any sampler looks at them. On a small CPU
that copy is 0.1-0.15 ms a token, 1-2% of a small model's decode time, and
the engine's budget beyond ``llama_decode`` is 0.3 ms in all. A plain greedy
answer (temperature 0, no repeat penalty, no grammar) needs only the largest
logit: numpy's argmax over llama.cpp's logits in place takes about 0.03 ms
and picks the same token, the first of equal maxima, as llama.cpp's greedy
sampler does. Everything else goes through llama.cpp's own chain, so
sampling stays in C on the logits in place.

This module imports llama_cpp and must only be imported in the worker.
"""

from __future__ import annotations

import ctypes
import random
from collections.abc import Callable, Sequence
from typing import Protocol

import llama_cpp.llama_cpp as llama
import numpy as np

from nexthub.engine.errors import EngineError, GrammarError
from nexthub.engine.types import SamplingSettings

_REPEAT_WINDOW = 64
#: Candidates kept before the repeat penalty when top-k is off.
_GREEDY_PENALTY_TOP_K = 100


class TokenPicker(Protocol):
    """Picks the next token from the logits of the latest ``llama_decode``."""

    def pick(self) -> int:
        """The next token's id."""
        ...

    def close(self) -> None:
        """Free what the picker holds in llama.cpp."""
        ...


def make_picker(
    sampling: SamplingSettings,
    ctx: llama.llama_context_p,
    vocab: llama.llama_vocab_p,
    n_vocab: int,
    end_tokens: Callable[[], Sequence[int]],
) -> TokenPicker:
    """The picker for these settings; ``end_tokens`` lists end-of-generation ids (ignore_eos).

    Built before any work is done, so a grammar llama.cpp refuses fails first.
    """
    banned = end_tokens() if sampling.ignore_eos else ()
    if is_plain_greedy(sampling):
        return LogitsArgmax(ctx, n_vocab, banned)
    return SamplerChain(sampling, ctx, vocab, n_vocab, banned)


def is_plain_greedy(sampling: SamplingSettings) -> bool:
    """True when the answer is the most likely token every time, with nothing else applied."""
    return sampling.temperature <= 0 and sampling.repeat_penalty == 1.0 and sampling.grammar is None


class LogitsArgmax:
    """Greedy without llama.cpp's candidate copy: numpy's argmax over the logits in place.

    The logits buffer belongs to the context and only moves when llama.cpp
    needs room for more outputs, so the numpy view is made again only when its
    address changes. End-of-generation tokens that ignore_eos rules out are set
    to minus infinity first; the buffer is written by the next decode anyway.
    """

    def __init__(self, ctx: llama.llama_context_p, n_vocab: int, banned: Sequence[int]) -> None:
        self._ctx = ctx
        self._n_vocab = n_vocab
        self._banned = np.array(banned, dtype=np.intp) if banned else None
        self._address: int | None = None
        self._logits: np.ndarray[tuple[int], np.dtype[np.float32]] | None = None

    def pick(self) -> int:
        """The id of the largest logit of the last token evaluated."""
        pointer = llama.llama_get_logits_ith(self._ctx, -1)
        address = ctypes.cast(pointer, ctypes.c_void_p).value
        if address != self._address or self._logits is None:
            if not address:
                raise EngineError("llama.cpp kept no logits for the last token.")
            floats = (ctypes.c_float * self._n_vocab).from_address(address)
            self._logits, self._address = np.ctypeslib.as_array(floats), address
        logits = self._logits
        if self._banned is not None:
            logits[self._banned] = -np.inf
        return int(logits.argmax())

    def close(self) -> None:
        """Nothing to free: the logits belong to the context."""
        self._logits = None


class SamplerChain:
    """llama.cpp's own sampler chain, so sampling runs in C on the logits in place.

    Top-k runs before the repeat penalty: llama.h warns that penalties over the
    whole vocabulary are slow (a hash lookup per token of a 50k-150k
    vocabulary, every step), and after top-k they touch a few dozen. Then
    top-p, min-p, temperature and a seeded draw (or greedy at temperature 0).

    A grammar goes first, over the whole vocabulary: after top-k it could
    find every candidate left against the grammar, and llama.cpp aborts when
    a token the grammar cannot accept is drawn. Its cost is per token, so an
    answer without a grammar does not pay it.
    """

    def __init__(
        self,
        sampling: SamplingSettings,
        ctx: llama.llama_context_p,
        vocab: llama.llama_vocab_p,
        n_vocab: int,
        banned: Sequence[int],
    ) -> None:
        self._ctx = ctx
        self._chain: llama.llama_sampler_p | None = llama.llama_sampler_chain_init(
            llama.llama_sampler_chain_default_params()
        )
        try:
            self._add_samplers(sampling, vocab, n_vocab, banned)
        except BaseException:
            self.close()
            raise

    def pick(self) -> int:
        """Run the chain over the last token's logits."""
        return int(llama.llama_sampler_sample(self._chain, self._ctx, -1))

    def close(self) -> None:
        """Free the chain and every sampler in it."""
        if self._chain is not None:
            llama.llama_sampler_free(self._chain)
            self._chain = None

    def _add(self, sampler: llama.llama_sampler_p) -> None:
        llama.llama_sampler_chain_add(self._chain, sampler)

    def _add_samplers(
        self,
        sampling: SamplingSettings,
        vocab: llama.llama_vocab_p,
        n_vocab: int,
        banned: Sequence[int],
    ) -> None:
        if sampling.grammar is not None:
            grammar = llama.llama_sampler_init_grammar(vocab, sampling.grammar.encode(), b"root")
            if not grammar:
                raise GrammarError("llama.cpp could not parse the grammar (is 'root' defined?).")
            self._add(grammar)
        if banned:
            biases = (llama.llama_logit_bias * len(banned))()
            for slot, token in zip(biases, banned, strict=True):
                slot.token, slot.bias = token, float("-inf")
            self._add(llama.llama_sampler_init_logit_bias(n_vocab, len(biases), biases))
        greedy = sampling.temperature <= 0
        penalise = sampling.repeat_penalty != 1.0
        top_k = sampling.top_k or (_GREEDY_PENALTY_TOP_K if penalise else 0)
        if top_k and (not greedy or penalise):
            self._add(llama.llama_sampler_init_top_k(top_k))
        if penalise:
            self._add(
                llama.llama_sampler_init_penalties(
                    n_vocab, _REPEAT_WINDOW, sampling.repeat_penalty, 0, 0
                )
            )
        if greedy:
            self._add(llama.llama_sampler_init_greedy())
            return
        if sampling.top_p < 1.0:
            self._add(llama.llama_sampler_init_top_p(sampling.top_p, 1))
        if sampling.min_p > 0:
            self._add(llama.llama_sampler_init_min_p(sampling.min_p, 1))
        self._add(llama.llama_sampler_init_temp(sampling.temperature))
        seed = sampling.seed if sampling.seed is not None else random.getrandbits(32)
        self._add(llama.llama_sampler_init_dist(seed))
