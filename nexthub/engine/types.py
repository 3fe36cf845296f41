"""Plain data that crosses the engine's boundary.

These are the only things the rest of NextHub (and the worker process) sees
of the engine: settings going in, events coming out. They are frozen
dataclasses of plain values, so they pickle across the worker's pipe, compare
by value in tests and carry no llama.cpp objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Role = Literal["system", "user", "assistant"]
FinishReason = Literal["stop", "length", "cancelled", "error"]
TemplateSource = Literal["gguf", "fallback-chatml"]

#: ``LoadSettings.gpu_layers`` value that fits as many layers as free GPU memory holds.
AUTO: Literal["auto"] = "auto"


@dataclass(frozen=True)
class ChatMessage:
    """One message of a conversation, as the chat template sees it."""

    role: Role
    content: str


@dataclass(frozen=True)
class LoadSettings:
    """How to load a model.

    The defaults are chosen for a desktop chat, not llama-cpp-python's
    (n_ctx 512, half the cores, no flash attention).
    """

    #: Context window in tokens; 0 means the model's training context (capped by
    #: ``max_auto_context``).
    context_size: int = 4096
    #: Threads for generating tokens; None picks the number of physical cores.
    threads: int | None = None
    #: Threads for evaluating the prompt; None picks the number of logical cores.
    batch_threads: int | None = None
    #: Layers to offload to the GPU: a number (0 = CPU only) or ``"auto"`` to fit
    #: as many as free GPU memory holds.
    gpu_layers: int | Literal["auto"] = AUTO
    #: Tokens evaluated per llama_decode call during prompt processing.
    batch_size: int = 512
    #: Flash attention where layers run on a GPU ("auto": where the backend supports
    #: it; faster, smaller KV cache). With no layer offloaded it stays off: on the
    #: CPU it slows decoding deep in a context (1.3-2.1x at 1,744 tokens).
    flash_attention: bool = True
    #: Upper bound used when ``context_size`` is 0.
    max_auto_context: int = 32768


@dataclass(frozen=True)
class SamplingSettings:
    """How to pick each next token, and when to stop."""

    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    #: Seed for the random sampler; None draws a fresh one per request.
    seed: int | None = None
    #: Most tokens to generate; None runs until the model stops or the context is full.
    max_tokens: int | None = 1024
    #: Strings that end the answer; the stop string itself is not returned.
    stop: tuple[str, ...] = ()
    #: Keep going past end-of-generation tokens (benchmarks, llama-server's ignore_eos).
    ignore_eos: bool = False
    #: A GBNF grammar (llama.cpp's format, rule ``root`` first) the answer must follow,
    #: e.g. from :mod:`nexthub.engine.json_grammar`; None leaves the model free.
    grammar: str | None = None

    def __post_init__(self) -> None:
        """Reject settings llama.cpp would silently misread."""
        problems = []
        if self.temperature < 0:
            problems.append("temperature must be 0 or more")
        if not 0 < self.top_p <= 1:
            problems.append("top_p must be in (0, 1]")
        if self.top_k < 0:
            problems.append("top_k must be 0 (off) or more")
        if not 0 <= self.min_p <= 1:
            problems.append("min_p must be in [0, 1]")
        if self.repeat_penalty <= 0:
            problems.append("repeat_penalty must be more than 0")
        if self.max_tokens is not None and self.max_tokens < 1:
            problems.append("max_tokens must be at least 1")
        if any(not s for s in self.stop):
            problems.append("stop strings must not be empty")
        if self.grammar is not None and not self.grammar.strip():
            problems.append("grammar must not be empty (None means no grammar)")
        if self.grammar is not None and self.ignore_eos:
            problems.append("a grammar decides where the answer ends: it cannot go with ignore_eos")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class ModelInfo:
    """What the worker reports about a model once it is loaded."""

    path: Path
    description: str
    context_size: int
    training_context: int
    gpu_layers: int
    layer_count: int
    threads: int
    batch_threads: int
    template_source: TemplateSource
    size_bytes: int
    parameter_count: int
    #: Flash attention asked of llama.cpp ("auto": on where the backend supports it).
    #: Off when no layer runs on a GPU, even if ``LoadSettings.flash_attention``.
    flash_attention: bool = False


@dataclass(frozen=True)
class Usage:
    """Token counts of one answer."""

    #: Tokens in the prompt as sent to the model (after any context trimming).
    prompt_tokens: int
    #: Prompt tokens that had to be evaluated; the rest came from the KV cache.
    prompt_tokens_evaluated: int
    completion_tokens: int

    @property
    def prompt_tokens_cached(self) -> int:
        """Prompt tokens reused from the previous turn's KV cache."""
        return self.prompt_tokens - self.prompt_tokens_evaluated


@dataclass(frozen=True)
class Timings:
    """How fast one answer was produced."""

    #: Seconds from the request reaching the worker to the first token.
    time_to_first_token_s: float
    #: Prompt tokens evaluated per second (0 when everything was cached).
    prompt_tokens_per_s: float
    #: Generated tokens per second after the first one.
    decode_tokens_per_s: float
    total_s: float


# -- events ---------------------------------------------------------------------


@dataclass(frozen=True)
class LoadProgress:
    """Loading has got this far (0.0 to 1.0)."""

    fraction: float


@dataclass(frozen=True)
class ContextTrimmed:
    """Old turns were left out because the conversation outgrew the context.

    Sent before the first text of the answer, so a caller can tell the user.
    """

    dropped_messages: int
    kept_messages: int
    context_size: int


@dataclass(frozen=True)
class TextDelta:
    """The next piece of the answer's text.

    Pieces are not tokens: the worker sends the first piece at once, then
    gathers the text of the following tokens and sends it at most every
    ``DELTA_INTERVAL_S`` (100 ms; see ``coalescer.py``).
    """

    text: str
    #: Tokens generated so far, up to and including this piece (for progress and speed).
    completion_tokens: int = 0


@dataclass(frozen=True)
class ChatFinished:
    """The answer is complete; always the last event of a chat."""

    finish_reason: FinishReason
    #: The whole answer as far as it got (also when cancelled or failed).
    text: str
    usage: Usage
    timings: Timings
    #: For ``finish_reason == "error"``: a message for the user.
    error: str | None = None


ChatEvent = ContextTrimmed | TextDelta | ChatFinished


@dataclass(frozen=True)
class Embeddings:
    """One vector per text, each of length 1 (see ``llama_embeddings.py``)."""

    vectors: tuple[tuple[float, ...], ...]
    #: Tokens of all the texts together.
    prompt_tokens: int


@dataclass(frozen=True)
class HardwareReport:
    """What llama.cpp sees of this machine; see :mod:`nexthub.engine.hardware`."""

    cpu_features: tuple[str, ...]
    gpu_backends: tuple[str, ...]
    devices: tuple[DeviceInfo, ...] = field(default_factory=tuple)
    system_info: str = ""


@dataclass(frozen=True)
class DeviceInfo:
    """One compute device llama.cpp can use."""

    name: str
    description: str
    kind: Literal["cpu", "gpu", "igpu", "accel", "other"]
    backend: str
    memory_free_bytes: int
    memory_total_bytes: int
