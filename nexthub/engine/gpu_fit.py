"""How many of a model's layers to offload to the GPU.

``LoadSettings.gpu_layers = "auto"`` is resolved here, before the model is
loaded, from two things: the model's shape read from its GGUF header (no
tensor data is read) and the free GPU memory the worker's hardware probe
reported (:func:`nexthub.engine.hardware.free_gpu_memory`). The arithmetic is
a pure function so it can be tested with made-up memory sizes on machines
without a GPU, which is every CI machine.

How llama.cpp counts layers (``llama-model.cpp``, ``i_gpu_start``): a model
with N repeating blocks has N + 1 offloadable "layers", the last one being the
output layer (final norm and output projection). ``n_gpu_layers = k`` puts the
*last* k of those on the GPU, so k = 1 offloads only the output layer, k = N + 1
offloads everything, and the input embeddings always stay on the CPU. Each
offloaded block also keeps its slice of the KV cache on the GPU.

Whether any layer is offloaded also decides flash attention
(:func:`use_flash_attention`): worth asking for on a GPU, a slowdown on the CPU.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from nexthub.engine.errors import ModelLoadError
from nexthub.gguf_header import GgufHeader, GgufHeaderError, read_gguf_header

MIB = 1024 * 1024
#: Smallest GPU memory kept free for compute buffers, the display and driver overhead.
MIN_RESERVE_BYTES = 512 * MIB
#: Share of free GPU memory kept free on top of the estimate, on large GPUs.
RESERVE_FRACTION = 0.05

_BLOCK_TENSOR = re.compile(r"^blk\.(\d+)\.")


@dataclass(frozen=True)
class ModelShape:
    """The sizes that decide how much GPU memory a model needs.

    Read from the GGUF header by :func:`read_model_shape`; plain numbers only,
    so it can be built by hand in tests and pickled across the worker's pipe.
    """

    #: ``general.architecture``, e.g. ``"llama"``.
    architecture: str
    #: Repeating blocks (``{arch}.block_count``).
    layer_count: int
    #: Bytes of the weights of each block ``blk.N.*``, indexed by N.
    layer_bytes: tuple[int, ...]
    #: Bytes of every tensor outside the blocks (embeddings, output, norms).
    non_layer_bytes: int
    #: The part of ``non_layer_bytes`` llama.cpp puts on the output layer's
    #: device: everything but the input embeddings, unless the output
    #: projection is tied to them (no ``output.weight``), in which case
    #: llama.cpp duplicates ``token_embd`` onto that device.
    output_bytes: int
    embedding_length: int
    head_count: int
    #: Key/value heads (grouped-query attention); equals ``head_count`` when
    #: the file does not say.
    head_count_kv: int
    #: Per-head key and value sizes when the file gives them (otherwise
    #: ``embedding_length // head_count``).
    key_length: int | None = None
    value_length: int | None = None
    #: ``{arch}.context_length``; 0 when the file does not say.
    training_context: int = 0

    def __post_init__(self) -> None:
        """Catch a hand-built shape whose per-block sizes do not match its block count."""
        if len(self.layer_bytes) != self.layer_count:
            raise ValueError(
                f"layer_bytes has {len(self.layer_bytes)} entries for {self.layer_count} layers"
            )

    @property
    def key_dim(self) -> int:
        """Elements per key head."""
        if self.key_length is not None:
            return self.key_length
        return self.embedding_length // self.head_count if self.head_count else 0

    @property
    def value_dim(self) -> int:
        """Elements per value head."""
        if self.value_length is not None:
            return self.value_length
        return self.embedding_length // self.head_count if self.head_count else 0

    @property
    def offloadable_layers(self) -> int:
        """``n_gpu_layers`` that offloads everything: every block plus the output layer."""
        return self.layer_count + 1


def read_model_shape(path: Path | str) -> ModelShape:
    """Read a model's shape from its GGUF header, without reading tensor data.

    The header is read by :func:`nexthub.gguf_header.read_gguf_header`, which
    steps over the tokenizer's vocabulary instead of building an object per
    entry (``gguf.GGUFReader`` takes seconds on that, before every ``"auto"``
    load) and never memory-maps the file.

    Raises :class:`ModelLoadError` when the file is not a readable GGUF model.
    """
    path = Path(path)
    try:
        header = read_gguf_header(path)
    except (OSError, GgufHeaderError) as exc:
        raise ModelLoadError(f"{path.name} is not a readable GGUF model file: {exc}") from exc
    return _shape_from_header(header, path.name)


def _shape_from_header(header: GgufHeader, filename: str) -> ModelShape:
    """Sum tensor sizes per block and pick the attention sizes out of the header fields."""
    arch = header.string("general.architecture")
    if not arch:
        raise ModelLoadError(f"{filename} has no general.architecture: not a GGUF model file.")
    layer_count = header.integer(f"{arch}.block_count")
    if layer_count is None or layer_count < 1:
        raise ModelLoadError(f"{filename} has no {arch}.block_count: not a GGUF model file.")
    head_count = header.integer(f"{arch}.attention.head_count") or 0
    head_count_kv = header.integer(f"{arch}.attention.head_count_kv")

    layer_bytes = [0] * layer_count
    non_layer = 0
    token_embd = 0
    has_output = False
    for tensor in header.tensors:
        match = _BLOCK_TENSOR.match(tensor.name)
        if match and int(match.group(1)) < layer_count:
            layer_bytes[int(match.group(1))] += tensor.n_bytes
            continue
        non_layer += tensor.n_bytes
        if tensor.name == "token_embd.weight":
            token_embd = tensor.n_bytes
        elif tensor.name == "output.weight":
            has_output = True

    return ModelShape(
        architecture=arch,
        layer_count=layer_count,
        layer_bytes=tuple(layer_bytes),
        non_layer_bytes=non_layer,
        output_bytes=non_layer - token_embd if has_output else non_layer,
        embedding_length=header.integer(f"{arch}.embedding_length") or 0,
        head_count=head_count,
        head_count_kv=head_count if head_count_kv is None else head_count_kv,
        key_length=header.integer(f"{arch}.attention.key_length"),
        value_length=header.integer(f"{arch}.attention.value_length"),
        training_context=header.integer(f"{arch}.context_length") or 0,
    )


def default_reserve(free_gpu_bytes: int) -> int:
    """GPU memory left unused: max(512 MiB, 5% of free).

    Covers what the estimate leaves out: llama.cpp's compute buffers (their
    size grows with batch size, context and vocabulary), the CUDA/Vulkan
    context itself, and whatever the desktop and other apps allocate while the
    model runs.
    """
    return max(MIN_RESERVE_BYTES, int(free_gpu_bytes * RESERVE_FRACTION))


def kv_bytes_per_layer(
    shape: ModelShape, context_size: int, kv_bytes_per_element: float = 2
) -> int:
    """Bytes of one block's KV cache: context x kv heads x (key dim + value dim) x element size.

    With equal key and value dims this is the textbook
    ``2 * context * head_count_kv * head_dim * bytes``; 2 bytes is F16, the
    default cache type.
    """
    elements = context_size * shape.head_count_kv * (shape.key_dim + shape.value_dim)
    return math.ceil(elements * kv_bytes_per_element)


def fit_gpu_layers(
    shape: ModelShape,
    context_size: int,
    free_gpu_bytes: int,
    *,
    kv_bytes_per_element: float = 2,
    reserve_bytes: int | None = None,
) -> int:
    """The largest ``n_gpu_layers`` whose weights and KV cache fit in free GPU memory.

    The model of the estimate, following how llama.cpp places layers (see the
    module docstring): offloading k > 0 layers costs the output layer
    (``shape.output_bytes``) plus, for each of the last k - 1 blocks, its
    weights and its KV cache (:func:`kv_bytes_per_layer`). The budget is
    ``free_gpu_bytes - reserve_bytes`` (default :func:`default_reserve`).
    The answer runs from 0 (nothing fits, or no GPU) to
    ``shape.layer_count + 1`` (everything on the GPU).

    Why it errs on the safe side (too few layers only costs speed, too many
    fails the load or the first long prompt):

    - the whole KV cache of an offloaded block is counted at the full
      context, even for sliding-window layers that keep less;
    - per-layer head counts are taken at their largest, and compressed
      attention (MLA) is counted as plain key/value heads;
    - the output layer counts every non-block tensor but the input
      embeddings, including small norms that may stay behind;
    - several GPUs are treated as one pool, with one reserve.

    It does not count compute buffers or driver overhead; the reserve is
    there for those.
    """
    if free_gpu_bytes <= 0 or shape.layer_count <= 0:
        return 0
    reserve = default_reserve(free_gpu_bytes) if reserve_bytes is None else reserve_bytes
    budget = free_gpu_bytes - max(reserve, 0)
    used = shape.output_bytes
    if used > budget:
        return 0
    kv = kv_bytes_per_layer(shape, context_size, kv_bytes_per_element)
    layers = 1
    for weights in reversed(shape.layer_bytes):
        used += weights + kv
        if used > budget:
            break
        layers += 1
    return layers


def resolve_gpu_layers(
    setting: int | Literal["auto"],
    shape: ModelShape,
    context_size: int,
    free_gpu_bytes: int,
    *,
    kv_bytes_per_element: float = 2,
) -> int:
    """Turn ``LoadSettings.gpu_layers`` into the ``n_gpu_layers`` to load with.

    A number is the user's choice and is only clamped to what llama.cpp can
    use, ``[0, layer_count + 1]`` (so llama.cpp's -1 "all" spelling becomes 0
    here: NextHub spells "as many as fit" ``"auto"``). ``"auto"`` asks
    :func:`fit_gpu_layers`.
    """
    if setting == "auto":
        return fit_gpu_layers(
            shape, context_size, free_gpu_bytes, kv_bytes_per_element=kv_bytes_per_element
        )
    if isinstance(setting, bool) or not isinstance(setting, int):
        raise TypeError(f"gpu_layers must be a whole number or 'auto', not {setting!r}")
    return min(max(setting, 0), shape.offloadable_layers)


def use_flash_attention(requested: bool, gpu_layers: int, *, gpu_offload: bool) -> bool:
    """Whether to ask llama.cpp for flash attention ("auto") or to turn it off.

    Only where layers run on a GPU: ``gpu_layers`` above 0 on a build that can
    offload. On the CPU, llama.cpp's flash attention slows down decoding deep
    in a context: the starter model at a depth of 1,744 tokens decoded 1.3 to
    2.1 times as fast without it (llama-bench, one thread, AVX2; see
    docs/ENGINE.md, "Loading").
    """
    return requested and gpu_layers > 0 and gpu_offload
