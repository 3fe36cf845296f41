"""One loaded model inside the worker process, driven through llama.cpp's C API.

Why the C API and not ``llama_cpp.Llama``: Llama's completion loop
re-detokenizes the whole answer on every token (quadratic), allocates a
``n_batch x n_vocab`` float array of scores we never read, and has no hook to
report or cancel loading. Here each step is: decode one token, pick the next
from the logits in place (llama.cpp's sampler chain, or numpy's argmax for plain
greedy: ``token_picker.py``), look up the new token's bytes, check stop strings
on a short tail. Python work per token is two ctypes calls (pick, decode) and a
few lookups, flat however long the answer grows.

This module imports llama_cpp and must only be imported in the worker.
"""

from __future__ import annotations

import ctypes
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import llama_cpp.llama_cpp as llama

from nexthub.engine.answer_text import AnswerText
from nexthub.engine.chat_template import ChatTemplate
from nexthub.engine.context_policy import (
    TrimMemory,
    TrimPlan,
    answer_reserve,
    plan_context,
    remember_cut,
)
from nexthub.engine.errors import EngineError, ModelLoadError
from nexthub.engine.gpu_fit import use_flash_attention
from nexthub.engine.llama_embeddings import EmbeddingContext
from nexthub.engine.token_picker import TokenPicker, make_picker
from nexthub.engine.types import (
    ChatFinished,
    ChatMessage,
    ContextTrimmed,
    Embeddings,
    FinishReason,
    LoadSettings,
    ModelInfo,
    SamplingSettings,
    TextDelta,
    Timings,
    Usage,
)

#: Receives each event of an answer as it happens.
Emit = Callable[[ContextTrimmed | TextDelta], None]
#: Polled between tokens and between prompt batches: True means stop now.
ShouldStop = Callable[[], bool]
#: Gets load progress (0..1); returns False to abort loading.
OnProgress = Callable[[float], bool]

_PIECE_BUFFER = 256


@dataclass(frozen=True)
class LoadPlan:
    """Settings resolved for this machine (threads and GPU layers as numbers)."""

    path: Path
    settings: LoadSettings
    threads: int
    batch_threads: int
    gpu_layers: int


class LlamaSession:
    """A model and its context, with the tokens currently held in the KV cache."""

    def __init__(self, plan: LoadPlan, on_progress: OnProgress) -> None:
        self._plan = plan
        self._model: llama.llama_model_p | None = None
        self._ctx: llama.llama_context_p | None = None
        self._cached: list[int] = []  # tokens whose keys/values are in the KV cache
        self._trim_memory: TrimMemory | None = None
        self._end_tokens: list[int] | None = None  # end-of-generation ids, for ignore_eos
        self._piece_buffer = ctypes.create_string_buffer(_PIECE_BUFFER)
        self._one_token = (llama.llama_token * 1)()
        self._embedder: EmbeddingContext | None = None  # made on the first embeddings
        self._load(on_progress)
        assert self._model is not None
        self._vocab: llama.llama_vocab_p = llama.llama_model_get_vocab(self._model)
        self._add_bos: bool = bool(llama.llama_vocab_get_add_bos(self._vocab))
        self._n_vocab: int = llama.llama_vocab_n_tokens(self._vocab)
        # Each token's bytes, asked of llama.cpp the first time the token is sampled and
        # kept, so a token is a list lookup. End-of-generation tokens are never kept:
        # "no bytes yet" is where the loop asks whether a token ends the answer.
        self._pieces: list[bytes | None] = [None] * self._n_vocab
        self._template: ChatTemplate = ChatTemplate.from_gguf(
            self._meta("tokenizer.chat_template"),
            bos_token=self._token_text(llama.llama_vocab_bos(self._vocab)),
            eos_token=self._token_text(llama.llama_vocab_eos(self._vocab)),
        )

    # -- loading ------------------------------------------------------------------

    def _load(self, on_progress: OnProgress) -> None:
        plan = self._plan
        model_params = llama.llama_model_default_params()
        model_params.n_gpu_layers = plan.gpu_layers
        cancelled = False

        def progress(fraction: float, _user_data: ctypes.c_void_p) -> bool:
            nonlocal cancelled
            keep_going = on_progress(float(fraction))
            cancelled = not keep_going
            return keep_going

        callback = llama.llama_progress_callback(progress)  # must outlive the load call
        model_params.progress_callback = callback
        model = llama.llama_model_load_from_file(str(plan.path).encode(), model_params)
        if not model:
            if cancelled:
                raise ModelLoadError("Loading the model was cancelled.")
            raise ModelLoadError(f"llama.cpp could not load {plan.path.name}.")
        self._model = model

        n_ctx_train = llama.llama_model_n_ctx_train(model)
        n_ctx = plan.settings.context_size or min(n_ctx_train, plan.settings.max_auto_context)
        ctx_params = llama.llama_context_default_params()
        ctx_params.n_ctx = n_ctx
        ctx_params.n_batch = min(plan.settings.batch_size, n_ctx)
        ctx_params.n_ubatch = min(plan.settings.batch_size, n_ctx)
        ctx_params.n_threads = plan.threads
        ctx_params.n_threads_batch = plan.batch_threads
        self._flash_attention = use_flash_attention(
            plan.settings.flash_attention,
            plan.gpu_layers,
            gpu_offload=bool(llama.llama_supports_gpu_offload()),
        )
        ctx_params.flash_attn_type = (
            llama.LLAMA_FLASH_ATTN_TYPE_AUTO
            if self._flash_attention
            else llama.LLAMA_FLASH_ATTN_TYPE_DISABLED
        )
        ctx_params.no_perf = True
        ctx = llama.llama_init_from_model(model, ctx_params)
        if not ctx:
            self.close()
            raise ModelLoadError(
                f"The model loaded, but a {n_ctx}-token context did not fit in memory. "
                "Try a smaller context size or fewer GPU layers."
            )
        self._ctx = ctx
        self._n_ctx = llama.llama_n_ctx(ctx)
        self._n_batch = int(ctx_params.n_batch)

    def info(self) -> ModelInfo:
        """What was loaded, with the settings as resolved."""
        assert self._model is not None
        desc = ctypes.create_string_buffer(256)
        llama.llama_model_desc(self._model, desc, len(desc))
        return ModelInfo(
            path=self._plan.path,
            description=desc.value.decode("utf-8", "replace"),
            context_size=self._n_ctx,
            training_context=llama.llama_model_n_ctx_train(self._model),
            gpu_layers=self._plan.gpu_layers,
            layer_count=llama.llama_model_n_layer(self._model),
            threads=self._plan.threads,
            batch_threads=self._plan.batch_threads,
            template_source=self._template.source,
            size_bytes=llama.llama_model_size(self._model),
            parameter_count=llama.llama_model_n_params(self._model),
            flash_attention=self._flash_attention,
        )

    def close(self) -> None:
        """Free the contexts and the model (all their memory, CPU and GPU)."""
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
        if self._ctx:
            llama.llama_free(self._ctx)
            self._ctx = None
        if self._model:
            llama.llama_model_free(self._model)
            self._model = None
        self._cached = []

    # -- text <-> tokens ----------------------------------------------------------

    def _meta(self, key: str) -> str | None:
        buf = ctypes.create_string_buffer(1 << 16)
        n = llama.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        if n < 0:
            return None
        if n >= len(buf):
            buf = ctypes.create_string_buffer(n + 1)
            llama.llama_model_meta_val_str(self._model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", "replace")

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        text = llama.llama_vocab_get_text(self._vocab, token)
        return text.decode("utf-8", "replace") if text else ""

    def tokenize(self, text: str) -> list[int]:
        """Prompt text to tokens, adding BOS once where the model wants it."""
        if self._add_bos and self._template.bos_token and text.startswith(self._template.bos_token):
            text = text[len(self._template.bos_token) :]  # the template wrote it already
        data = text.encode("utf-8")
        capacity = len(data) + 8
        tokens = (llama.llama_token * capacity)()
        n = llama.llama_tokenize(
            self._vocab, data, len(data), tokens, capacity, self._add_bos, True
        )
        if n < 0:
            capacity = -n
            tokens = (llama.llama_token * capacity)()
            n = llama.llama_tokenize(
                self._vocab, data, len(data), tokens, capacity, self._add_bos, True
            )
        return list(tokens[:n])

    def _piece(self, token: int) -> bytes:
        n = llama.llama_token_to_piece(
            self._vocab, token, self._piece_buffer, _PIECE_BUFFER, 0, False
        )
        if n < 0:  # longer than the buffer: rare, ask again with room
            buf = ctypes.create_string_buffer(-n)
            n = llama.llama_token_to_piece(self._vocab, token, buf, -n, 0, False)
            return buf.raw[:n]
        return self._piece_buffer.raw[:n]

    def count_prompt_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Tokens these messages take once rendered through the chat template."""
        return len(self.tokenize(self._template.render(messages)))

    def _end_of_generation_tokens(self) -> list[int]:
        """Every token that ends generation (control tokens included); for ignore_eos."""
        if self._end_tokens is None:
            is_eog, vocab = llama.llama_vocab_is_eog, self._vocab
            self._end_tokens = [t for t in range(self._n_vocab) if is_eog(vocab, t)]
        return self._end_tokens

    # -- answering ----------------------------------------------------------------

    def chat(
        self,
        messages: Sequence[ChatMessage],
        sampling: SamplingSettings,
        emit: Emit,
        should_stop: ShouldStop,
    ) -> ChatFinished:
        """Answer the conversation, streaming through ``emit``; returns the final event."""
        started = time.perf_counter()
        plan = self._plan_context(messages, sampling)
        if plan.dropped:
            emit(ContextTrimmed(plan.dropped, len(plan.messages), self._n_ctx))
        prompt = self.tokenize(self._template.render(plan.messages))
        stops = sampling.stop + self._template.extra_stops
        return self._generate(
            prompt, sampling, stops, emit=emit, should_stop=should_stop, started=started
        )

    def complete(
        self,
        prompt_text: str,
        sampling: SamplingSettings,
        emit: Emit,
        should_stop: ShouldStop,
    ) -> ChatFinished:
        """Continue raw text (no chat template); for the completions API and benchmarks."""
        started = time.perf_counter()
        prompt = self.tokenize(prompt_text)
        if len(prompt) >= self._n_ctx:
            raise EngineError(
                f"The prompt is {len(prompt)} tokens; this model's context holds {self._n_ctx}."
            )
        return self._generate(
            prompt, sampling, sampling.stop, emit=emit, should_stop=should_stop, started=started
        )

    def embed(self, texts: Sequence[str], should_stop: ShouldStop) -> Embeddings:
        """One vector per text, from a context of its own (the chat's cache stays)."""
        if self._embedder is None:
            assert self._model is not None
            self._embedder = EmbeddingContext(
                self._model,
                self.tokenize,
                threads=self._plan.threads,
                batch_threads=self._plan.batch_threads,
            )
        return self._embedder.embed(texts, should_stop)

    def _plan_context(
        self, messages: Sequence[ChatMessage], sampling: SamplingSettings
    ) -> TrimPlan:
        plan = plan_context(
            messages,
            self.count_prompt_tokens,
            context_size=self._n_ctx,
            reserve=answer_reserve(self._n_ctx, sampling.max_tokens),
            memory=self._trim_memory,
        )
        self._trim_memory = remember_cut(messages, plan)
        return plan

    def _reuse_prefix(self, prompt: Sequence[int]) -> int:
        """Keep the KV cache of the longest shared prefix; return how many tokens that is."""
        shared = 0
        for cached, new in zip(self._cached, prompt, strict=False):
            if cached != new:
                break
            shared += 1
        shared = min(shared, len(prompt) - 1)  # the last prompt token must be evaluated
        memory = llama.llama_get_memory(self._ctx)
        if shared < len(self._cached) and not llama.llama_memory_seq_rm(memory, -1, shared, -1):
            llama.llama_memory_clear(memory, True)  # e.g. recurrent models: start over
            shared = 0
        del self._cached[shared:]
        return shared

    def _decode(self, tokens: Sequence[int]) -> None:
        array = (llama.llama_token * len(tokens))(*tokens)
        _check_decode(llama.llama_decode(self._ctx, llama.llama_batch_get_one(array, len(tokens))))
        self._cached.extend(tokens)

    def _generate(
        self,
        prompt: list[int],
        sampling: SamplingSettings,
        stops: Sequence[str],
        *,
        emit: Emit,
        should_stop: ShouldStop,
        started: float,
    ) -> ChatFinished:
        # Built first, so a grammar llama.cpp refuses fails before any work is done.
        assert self._ctx is not None
        picker = make_picker(
            sampling, self._ctx, self._vocab, self._n_vocab, self._end_of_generation_tokens
        )
        try:
            to_evaluate = prompt[self._reuse_prefix(prompt) :]
            prefill_started = time.perf_counter()
            prefilled = self._prefill(to_evaluate, should_stop)
            llama.llama_synchronize(self._ctx)  # llama_decode may return before a GPU is done
            prefill_s = time.perf_counter() - prefill_started
            answer = AnswerText(stops, lambda text, tokens: emit(TextDelta(text, tokens)))
            clock = _TokenClock()
            reason: FinishReason = "cancelled"
            if prefilled:
                reason = self._sample_tokens(picker, sampling, answer, clock, should_stop)
        finally:
            picker.close()
        generated = answer.tokens
        text = answer.finish()
        finished = time.perf_counter()
        return ChatFinished(
            finish_reason=reason,
            text=text,
            usage=Usage(
                prompt_tokens=len(prompt),
                prompt_tokens_evaluated=len(to_evaluate),
                completion_tokens=generated,
            ),
            timings=Timings(
                time_to_first_token_s=(clock.first or finished) - started,
                prompt_tokens_per_s=len(to_evaluate) / prefill_s if prefill_s > 0 else 0.0,
                decode_tokens_per_s=clock.decode_rate(generated),
                total_s=finished - started,
            ),
        )

    def _prefill(self, tokens: Sequence[int], should_stop: ShouldStop) -> bool:
        """Evaluate the prompt in batches; False if cancelled between batches."""
        for begin in range(0, len(tokens), self._n_batch):
            if should_stop():
                return False
            self._decode(tokens[begin : begin + self._n_batch])
        return True

    def _sample_tokens(
        self,
        picker: TokenPicker,
        sampling: SamplingSettings,
        answer: AnswerText,
        clock: _TokenClock,
        should_stop: ShouldStop,
    ) -> FinishReason:
        """The token loop: sample, show, check limits, evaluate; returns why it ended.

        Everything that does not change between tokens is set up once, before the
        loop: the token picker, the one-token batch (it points at ``one``, so only
        the token in it changes), the limit on the answer's length, and the C
        functions, which are bound to locals. A token seen before then costs two
        ctypes calls (pick: the sampler chain, or for plain greedy the logits'
        address before numpy's argmax; decode), a list lookup for its bytes, the
        text and stop-string step, and the cancel check.
        """
        ctx, one, cached = self._ctx, self._one_token, self._cached
        pieces, vocab = self._pieces, self._vocab
        batch = llama.llama_batch_get_one(one, 1)
        pick, decode = picker.pick, llama.llama_decode
        is_eog = llama.llama_vocab_is_eog
        # The context is full when the token about to be evaluated has no room left:
        # the answer's n-th token is evaluated into slot len(cached) + n - 1.
        limit = self._n_ctx - len(cached) + 1
        if sampling.max_tokens is not None:
            limit = min(limit, sampling.max_tokens)
        while True:
            token = pick()
            clock.tick()
            piece = pieces[token]
            if piece is None:  # the first time this token is sampled
                if is_eog(vocab, token):
                    return "stop"
                piece = pieces[token] = self._piece(token)
            if answer.add(piece):
                return "stop"
            if answer.tokens >= limit:
                return "length"
            if should_stop():
                return "cancelled"
            one[0] = token
            _check_decode(decode(ctx, batch))
            cached.append(token)


class _TokenClock:
    """When the first and the latest token were sampled."""

    def __init__(self) -> None:
        self.first: float | None = None
        self.last = 0.0

    def tick(self) -> None:
        self.last = time.perf_counter()
        if self.first is None:
            self.first = self.last

    def decode_rate(self, generated: int) -> float:
        """Tokens per second after the first (whose time is the prompt's)."""
        span = self.last - self.first if self.first is not None else 0.0
        return (generated - 1) / span if span > 0 and generated > 1 else 0.0


def _check_decode(status: int) -> None:
    if status != 0:
        raise EngineError(f"llama.cpp failed to evaluate the tokens (status {status}).")
