"""Will a model fit in this machine's memory? A rough answer before loading it.

llama.cpp does not fail gracefully when memory runs out: the operating system
may swap for minutes or kill the process. So before a model is loaded, NextHub
estimates what it needs and compares that with what the machine has free, and
refuses early with a message that says both numbers.

The estimate is deliberately simple (the engine's ``gpu_fit`` does the precise
per-layer arithmetic for GPU offload):

    weights (the file's tensor bytes)
    + KV cache: 2 (K and V) x layers x context x KV heads x head size x 2 bytes (f16)
    + a fixed overhead for compute buffers and the runtime

This module probes no hardware: the caller passes the free RAM and free GPU
memory it measured, as plain integers, so the arithmetic can be tested with any
numbers on any machine.
"""

from __future__ import annotations

from enum import StrEnum

from nexthub.models.errors import ModelTooLargeError
from nexthub.models.gguf_info import GgufInfo

MIB = 1024 * 1024
#: Compute buffers, the llama.cpp runtime and the worker process itself.
OVERHEAD_BYTES = 256 * MIB
#: Bytes per K or V element: llama.cpp keeps its KV cache in f16 by default.
KV_BYTES_PER_ELEMENT = 2
#: The context the catalog's ``min_memory_bytes`` is computed for.
CATALOG_CONTEXT = 4096


class MemoryFit(StrEnum):
    """Where a model can run, given its estimated needs and the machine's free memory."""

    GPU = "fits in GPU"
    CPU_GPU = "CPU+GPU"
    CPU = "CPU only"
    TOO_LARGE = "too large"


def kv_cache_bytes(
    *,
    layer_count: int,
    context: int,
    head_count_kv: int,
    key_length: int,
    value_length: int,
) -> int:
    """Bytes of an f16 KV cache: one K and one V vector per layer, token and KV head."""
    per_token_per_layer = head_count_kv * (key_length + value_length) * KV_BYTES_PER_ELEMENT
    return layer_count * context * per_token_per_layer


def estimate_memory(info: GgufInfo, context: int) -> int:
    """Bytes the model in ``info`` needs to run with a context of ``context`` tokens."""
    if context < 1:
        raise ValueError(f"context must be at least 1 token, not {context}")
    head_size = 0
    if info.embedding_length and info.head_count:
        head_size = info.embedding_length // info.head_count
    key_length = info.key_length or head_size
    value_length = info.value_length or head_size
    kv = kv_cache_bytes(
        layer_count=info.layer_count or 0,
        context=context,
        head_count_kv=info.head_count_kv or info.head_count or 0,
        key_length=key_length,
        value_length=value_length,
    )
    return info.tensor_bytes + kv + OVERHEAD_BYTES


def classify_fit(required: int, *, available_ram: int, free_vram: int) -> MemoryFit:
    """Where something needing ``required`` bytes can run, given free RAM and GPU memory.

    All on the GPU when it fits there; split between GPU and CPU when the two
    together suffice (llama.cpp offloads some layers and keeps the rest in
    RAM); on the CPU when there is no usable GPU memory but enough RAM;
    otherwise too large.
    """
    if free_vram > 0 and required <= free_vram:
        return MemoryFit.GPU
    if free_vram > 0 and required <= free_vram + available_ram:
        return MemoryFit.CPU_GPU
    if required <= available_ram:
        return MemoryFit.CPU
    return MemoryFit.TOO_LARGE


def check_fits_in_memory(
    info: GgufInfo, context: int, available_ram: int, free_vram: int
) -> MemoryFit:
    """Classify the model for this machine, or raise :class:`ModelTooLargeError`.

    ``available_ram`` and ``free_vram`` are bytes the caller measured (0 for no
    GPU). The error message gives both the estimate and what is available, in
    GB, and what the user can do.
    """
    required = estimate_memory(info, context)
    fit = classify_fit(required, available_ram=available_ram, free_vram=free_vram)
    if fit is MemoryFit.TOO_LARGE:
        model = info.name or info.path.name
        available = max(available_ram, 0) + max(free_vram, 0)
        raise ModelTooLargeError(
            f"{model} needs about {format_gb(required)} of memory with a context of "
            f"{context:,} tokens, but this machine has about {format_gb(available)} "
            "available. Choose a smaller model or quantisation, use a smaller context, "
            "or close other programs and try again."
        )
    return fit


def format_gb(size: int) -> str:
    """A byte count in decimal gigabytes, as disk and RAM sizes are sold: ``"1.4 GB"``."""
    gigabytes = size / 1_000_000_000
    if gigabytes < 10:
        return f"{gigabytes:.1f} GB"
    return f"{gigabytes:,.0f} GB"
