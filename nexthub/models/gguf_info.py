"""Read what a GGUF model file says about itself, before llama.cpp ever sees it.

llama.cpp's own loader answers a bad file with a crash, an abort or an
unhelpful log line, and only after it has started to allocate memory. So every
file NextHub is given is inspected here first: only the header is read (by
:mod:`nexthub.gguf_header`), nothing is loaded, and each way a file can be
wrong becomes a specific :class:`~nexthub.models.errors.InvalidModelError`
whose message names the problem and what to do.

The header is read with ordinary file reads and the file is closed before
this returns, never memory-mapped: Windows refuses to delete a mapped file,
and the user may want to delete a file NextHub just refused.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from gguf import MODEL_ARCH_NAMES, LlamaFileType

from nexthub.gguf_header import (
    SUPPORTED_VERSIONS,
    GgufHeader,
    GgufHeaderError,
    GgufMagicError,
    GgufTruncatedError,
    GgufVersionError,
    read_gguf_header,
)
from nexthub.models.errors import (
    CorruptModelError,
    ModelFileNotFoundError,
    NotGgufError,
    TruncatedModelError,
    UnsupportedArchitectureError,
    UnsupportedGgufVersionError,
)

_WHAT_A_GGUF_IS = (
    "NextHub runs models in the GGUF format: a single file, usually ending in .gguf, "
    "such as those published on Hugging Face in repositories named '...-GGUF'."
)


@dataclass(frozen=True)
class GgufInfo:
    """What a GGUF file's header says about the model in it (plain values only)."""

    path: Path
    #: Size of the file on disk, in bytes.
    file_size: int
    #: GGUF format version (2 or 3).
    gguf_version: int
    #: ``general.architecture``, e.g. ``"llama"``.
    architecture: str
    #: ``general.name`` when the file has one.
    name: str | None
    #: Sum of the element counts of all tensors.
    parameter_count: int
    #: A readable quantisation name such as ``Q4_1``, ``Q4_K_M`` or ``F16``.
    quantisation: str
    #: ``{arch}.context_length``: the context the model was trained for.
    context_length: int | None
    #: ``{arch}.block_count``.
    layer_count: int | None
    #: ``{arch}.embedding_length``.
    embedding_length: int | None
    #: ``{arch}.attention.head_count`` (the largest, for per-layer arrays).
    head_count: int | None
    #: ``{arch}.attention.head_count_kv``; equals ``head_count`` when absent.
    head_count_kv: int | None
    #: ``{arch}.attention.key_length`` / ``value_length`` when the file says.
    key_length: int | None
    value_length: int | None
    #: Whether the file carries a chat template (``tokenizer.chat_template``).
    has_chat_template: bool
    #: Sum of the tensors' data sizes: the weights llama.cpp will load.
    tensor_bytes: int


def inspect_gguf(path: Path | str) -> GgufInfo:
    """Read the header of the GGUF file at ``path``.

    Raises a subclass of :class:`InvalidModelError` naming the problem when the
    path is missing, is not a GGUF, is cut short, is damaged, uses a GGUF
    version or a model architecture this version of NextHub cannot run.
    """
    path = Path(path)
    file_size = _check_is_file(path)
    header = _read_header(path, file_size)
    if header.byte_order == ">":
        raise UnsupportedGgufVersionError(
            f"{path.name} is a big-endian GGUF file, which llama.cpp cannot run on this "
            "machine. Download the ordinary (little-endian) version of the model."
        )
    return _info_from_header(header, path)


def _check_is_file(path: Path) -> int:
    """The file's size, or a clear error when there is no file at ``path``."""
    if not path.exists():
        raise ModelFileNotFoundError(f"There is no file at {path}. Check the path and try again.")
    if not path.is_file():
        raise ModelFileNotFoundError(
            f"{path} is a folder, not a model file. Give the path of the .gguf file itself."
        )
    try:
        return path.stat().st_size
    except OSError as exc:
        raise ModelFileNotFoundError(f"NextHub cannot read {path}: {exc.strerror}.") from None


def _read_header(path: Path, file_size: int) -> GgufHeader:
    """The file's GGUF header; each way it cannot be read becomes its own error."""
    try:
        return read_gguf_header(path)
    except OSError as exc:
        raise ModelFileNotFoundError(
            f"NextHub cannot read {path}: {exc.strerror or exc}."
        ) from None
    except GgufMagicError:
        if file_size == 0:
            problem = f"{path.name} is empty"
        else:
            problem = f"{path.name} is not a GGUF model file (it does not start with 'GGUF')"
        raise NotGgufError(
            f"{problem}. {_WHAT_A_GGUF_IS} Models in other formats (safetensors, PyTorch "
            ".bin) must be converted to GGUF first, for example with llama.cpp's "
            "convert_hf_to_gguf.py."
        ) from None
    except GgufTruncatedError:
        raise TruncatedModelError(_truncated_message(path, "its header")) from None
    except GgufVersionError as exc:
        raise UnsupportedGgufVersionError(_version_message(path, exc.version)) from None
    except GgufHeaderError as exc:
        raise CorruptModelError(
            f"{path.name} has a damaged GGUF header ({exc.reason[:120]}), so NextHub cannot "
            "use it. Download the model again, or from another source."
        ) from None


def _version_message(path: Path, version: int) -> str:
    supported = " and ".join(str(v) for v in SUPPORTED_VERSIONS)
    advice = (
        "It was probably written by a newer tool; update NextHub, or download a file "
        "made with a current llama.cpp release."
        if version > max(SUPPORTED_VERSIONS)
        else "It was written by an old tool; download a current GGUF of this model."
    )
    return (
        f"{path.name} is a GGUF file of version {version}, and this version of NextHub can "
        f"read versions {supported} only. {advice}"
    )


def _truncated_message(path: Path, what: str) -> str:
    return (
        f"{path.name} is incomplete: the file ends before {what} is complete. It was "
        "probably cut short by an interrupted download or copy. Download or copy it again."
    )


def _info_from_header(header: GgufHeader, path: Path) -> GgufInfo:
    """The model's description, after checking what llama.cpp would trip on."""
    architecture = header.string("general.architecture")
    if not architecture:
        raise CorruptModelError(
            f"{path.name} is a GGUF file without a model architecture "
            "(general.architecture), so it is not a model llama.cpp can run. "
            "It may be a LoRA adapter or another kind of GGUF; use a full model file."
        )
    if architecture not in set(MODEL_ARCH_NAMES.values()):
        raise UnsupportedArchitectureError(
            f"{path.name} is a '{architecture}' model, and this version of NextHub's "
            f"llama.cpp does not support the '{architecture}' architecture. Update NextHub, "
            "or choose a model of a supported family (for example Llama, Qwen, Gemma, Phi "
            "or Mistral)."
        )

    tensors = header.tensors
    data_end = max((t.data_offset + t.n_bytes for t in tensors), default=0)
    if data_end > header.file_size:
        raise TruncatedModelError(_truncated_message(path, "its tensor data"))

    head_count = header.integer(f"{architecture}.attention.head_count")
    head_count_kv = header.integer(f"{architecture}.attention.head_count_kv")
    return GgufInfo(
        path=path,
        file_size=header.file_size,
        gguf_version=header.version,
        architecture=architecture,
        name=header.string("general.name") or None,
        parameter_count=sum(t.n_elements for t in tensors),
        quantisation=_quantisation(header),
        context_length=header.integer(f"{architecture}.context_length"),
        layer_count=header.integer(f"{architecture}.block_count"),
        embedding_length=header.integer(f"{architecture}.embedding_length"),
        head_count=head_count,
        head_count_kv=head_count if head_count_kv is None else head_count_kv,
        key_length=header.integer(f"{architecture}.attention.key_length"),
        value_length=header.integer(f"{architecture}.attention.value_length"),
        has_chat_template="tokenizer.chat_template" in header.fields,
        tensor_bytes=sum(t.n_bytes for t in tensors),
    )


def _quantisation(header: GgufHeader) -> str:
    """``general.file_type`` as a name like ``Q4_K_M``; else the type holding most bytes."""
    file_type = header.integer("general.file_type")
    if file_type is not None:
        try:
            name = LlamaFileType(file_type).name
        except ValueError:
            name = ""
        if name and name != "GUESSED":
            return name.removeprefix("MOSTLY_").removeprefix("ALL_")
    bytes_by_type: Counter[str] = Counter()
    for tensor in header.tensors:
        bytes_by_type[tensor.ggml_type.name] += tensor.n_bytes
    if not bytes_by_type:
        return "unknown"
    return bytes_by_type.most_common(1)[0][0]
