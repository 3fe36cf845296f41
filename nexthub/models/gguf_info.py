"""Read what a GGUF model file says about itself, before llama.cpp ever sees it.

llama.cpp's own loader answers a bad file with a crash, an abort or an
unhelpful log line, and only after it has started to allocate memory. So every
file NextHub is given is inspected here first: only the header is read (with
the ``gguf`` library that ships with llama.cpp's converters), nothing is loaded,
and each way a file can be wrong becomes a specific
:class:`~nexthub.models.errors.InvalidModelError` whose message names the
problem and what to do.

``gguf.GGUFReader`` memory-maps the whole file. Everything needed is copied out
into plain Python values and the reader is dropped before returning, including
on the error paths (an exception's traceback would otherwise keep the mapping
alive), so the file is never left mapped: Windows refuses to delete a mapped
file, and the user may want to delete a file NextHub just refused.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from gguf import MODEL_ARCH_NAMES, GGUFReader, GGUFValueType, LlamaFileType
from gguf.gguf_reader import READER_SUPPORTED_VERSIONS

from nexthub.models.errors import (
    CorruptModelError,
    InvalidModelError,
    ModelFileNotFoundError,
    NotGgufError,
    TruncatedModelError,
    UnsupportedArchitectureError,
    UnsupportedGgufVersionError,
)

#: The four bytes every GGUF file starts with.
GGUF_MAGIC = b"GGUF"

#: String arrays longer than this (tokenizer vocabularies) are stepped over, not read.
_SMALL_ARRAY = 256

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
    version = _check_magic_and_version(path, file_size)

    # The reader is created and emptied in one helper so that no frame of ours
    # still refers to it when an error is raised below.
    outcome = _read_header(path, file_size, version)
    if isinstance(outcome, InvalidModelError):
        raise outcome
    return outcome


# -- Cheap checks before the reader --------------------------------------------------------------


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


def _check_magic_and_version(path: Path, file_size: int) -> int:
    """The GGUF version, after checking the magic bytes ourselves.

    ``GGUFReader`` would say ``GGUF magic invalid`` or fail on an empty file
    while trying to map it; reading eight bytes first lets the message say
    what the file is not and what a GGUF is.
    """
    try:
        with path.open("rb") as file:
            head = file.read(8)
    except OSError as exc:
        raise ModelFileNotFoundError(f"NextHub cannot read {path}: {exc.strerror}.") from None
    if head[:4] != GGUF_MAGIC:
        if file_size == 0:
            problem = f"{path.name} is empty"
        else:
            problem = f"{path.name} is not a GGUF model file (it does not start with 'GGUF')"
        raise NotGgufError(
            f"{problem}. {_WHAT_A_GGUF_IS} Models in other formats (safetensors, PyTorch "
            ".bin) must be converted to GGUF first, for example with llama.cpp's "
            "convert_hf_to_gguf.py."
        )
    if len(head) < 8:
        raise TruncatedModelError(_truncated_message(path, "its header"))
    (little,) = struct.unpack("<I", head[4:8])
    (big,) = struct.unpack(">I", head[4:8])
    if little in READER_SUPPORTED_VERSIONS:
        return int(little)
    if big in READER_SUPPORTED_VERSIONS and little & 0xFFFF == 0:
        raise UnsupportedGgufVersionError(
            f"{path.name} is a big-endian GGUF file, which llama.cpp cannot run on this "
            "machine. Download the ordinary (little-endian) version of the model."
        )
    supported = " and ".join(str(v) for v in READER_SUPPORTED_VERSIONS)
    newer = little > max(READER_SUPPORTED_VERSIONS)
    advice = (
        "It was probably written by a newer tool; update NextHub, or download a file "
        "made with a current llama.cpp release."
        if newer
        else "It was written by an old tool; download a current GGUF of this model."
    )
    raise UnsupportedGgufVersionError(
        f"{path.name} is a GGUF file of version {little}, and this version of NextHub can "
        f"read versions {supported} only. {advice}"
    )


def _truncated_message(path: Path, what: str) -> str:
    return (
        f"{path.name} is incomplete: the file ends before {what} is complete. It was "
        "probably cut short by an interrupted download or copy. Download or copy it again."
    )


# -- The reader --------------------------------------------------------------------------------


class _PastEndOfFileError(Exception):
    """A read asked for bytes beyond the end of the file; ``what`` was being read."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


class _BoundedReader(GGUFReader):
    """A ``GGUFReader`` that reports a truncated file as such, and reads arrays quickly.

    Two of the stock reader's internals are replaced, keeping its behaviour:

    - ``_get`` checks the bounds of every read. The stock reader slices the
      memory map, so a read past the end yields a short array and then an
      ``IndexError`` or a reshape ``ValueError`` far from the cause.
    - ``_get_field_parts`` reads an array of numbers as one slice, and steps
      over a long array of strings without building an object per string. The
      stock reader builds several numpy objects per element, which takes
      seconds for a tokenizer's 50,000-150,000 tokens and merges; NextHub does
      not need them (their ``contents()`` is empty here).
    """

    def _get(
        self,
        offset: int,
        dtype: npt.DTypeLike,
        count: int = 1,
        override_order: Literal["I", "S", "<"] | None = None,
    ) -> npt.NDArray[Any]:
        end = int(offset) + np.dtype(dtype).itemsize * int(count)
        if end > self.data.shape[0]:
            raise _PastEndOfFileError(self._reading())
        result: npt.NDArray[Any] = super()._get(offset, dtype, count, override_order)
        return result

    def _reading(self) -> str:
        # ``data_offset`` is set once the header is parsed, just before the
        # tensors' data is located.
        parsed_header = getattr(self, "data_offset", None) is not None
        return "its tensor data" if parsed_header else "its header"

    def _get_field_parts(
        self, orig_offs: int, raw_type: int
    ) -> tuple[int, list[npt.NDArray[Any]], list[int], list[GGUFValueType]]:
        if raw_type != GGUFValueType.ARRAY:
            return super()._get_field_parts(orig_offs, raw_type)
        raw_item_type = self._get(orig_offs, np.uint32)
        raw_count = self._get(orig_offs + 4, np.uint64)
        item_type = GGUFValueType(int(raw_item_type[0]))
        count = int(raw_count[0])
        start = orig_offs + 12
        if item_type == GGUFValueType.STRING and count > _SMALL_ARRAY:
            end = self._skip_strings(start, count)
            return end - orig_offs, [raw_item_type, raw_count], [], [GGUFValueType.ARRAY, item_type]
        scalar = self.gguf_scalar_to_np.get(item_type)
        if scalar is None:
            return super()._get_field_parts(orig_offs, raw_type)
        values = self._get(start, scalar, count)
        size = 12 + int(values.nbytes)
        return size, [raw_item_type, raw_count, values], [2], [GGUFValueType.ARRAY, item_type]

    def _skip_strings(self, offset: int, count: int) -> int:
        """The offset just past ``count`` length-prefixed strings starting at ``offset``."""
        size = int(self.data.shape[0])
        if offset + 8 * count > size:
            raise _PastEndOfFileError("its header")
        with memoryview(self.data) as view:  # type: ignore[arg-type]
            for _ in range(count):
                if offset + 8 > size:
                    raise _PastEndOfFileError("its header")
                (length,) = struct.unpack_from("<Q", view, offset)
                offset += 8 + length
        if offset > size:
            raise _PastEndOfFileError("its header")
        return offset


def _read_header(path: Path, file_size: int, version: int) -> GgufInfo | InvalidModelError:
    """Parse the header; return the info, or the error to raise (never raise here).

    Returning the error instead of raising it keeps the reader's frames out of
    any traceback, so the memory map is released as soon as this returns.
    """
    try:
        reader = _BoundedReader(path)
    except _PastEndOfFileError as exc:
        return TruncatedModelError(_truncated_message(path, exc.what))
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        return CorruptModelError(
            f"{path.name} has a damaged GGUF header ({_describe(exc)}), so NextHub cannot "
            "use it. Download the model again, or from another source."
        )
    except OSError as exc:
        return ModelFileNotFoundError(f"NextHub cannot read {path}: {exc.strerror or exc}.")
    try:
        return _info_from_reader(reader, path, file_size, version)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError) as exc:
        return CorruptModelError(
            f"{path.name} has a damaged GGUF header ({_describe(exc)}), so NextHub cannot "
            "use it. Download the model again, or from another source."
        )
    finally:
        del reader


def _describe(exc: BaseException) -> str:
    """A short description of a parsing failure for the end of a message."""
    text = str(exc).strip().rstrip(".")
    return text[:120] if text else type(exc).__name__


def _info_from_reader(
    reader: GGUFReader, path: Path, file_size: int, version: int
) -> GgufInfo | InvalidModelError:
    """Copy plain values out of an open reader, checking what llama.cpp would trip on."""
    fields = reader.fields
    architecture = _string(fields, "general.architecture")
    if not architecture:
        return CorruptModelError(
            f"{path.name} is a GGUF file without a model architecture "
            "(general.architecture), so it is not a model llama.cpp can run. "
            "It may be a LoRA adapter or another kind of GGUF; use a full model file."
        )
    if architecture not in set(MODEL_ARCH_NAMES.values()):
        return UnsupportedArchitectureError(
            f"{path.name} is a '{architecture}' model, and this version of NextHub's "
            f"llama.cpp does not support the '{architecture}' architecture. Update NextHub, "
            "or choose a model of a supported family (for example Llama, Qwen, Gemma, Phi "
            "or Mistral)."
        )

    tensors = reader.tensors
    data_end = max((int(t.data_offset) + int(t.n_bytes) for t in tensors), default=0)
    if data_end > file_size:
        return TruncatedModelError(_truncated_message(path, "its tensor data"))

    head_count = _integer(fields, f"{architecture}.attention.head_count")
    head_count_kv = _integer(fields, f"{architecture}.attention.head_count_kv")
    return GgufInfo(
        path=path,
        file_size=file_size,
        gguf_version=version,
        architecture=architecture,
        name=_string(fields, "general.name") or None,
        parameter_count=sum(int(t.n_elements) for t in tensors),
        quantisation=_quantisation(fields, tensors),
        context_length=_integer(fields, f"{architecture}.context_length"),
        layer_count=_integer(fields, f"{architecture}.block_count"),
        embedding_length=_integer(fields, f"{architecture}.embedding_length"),
        head_count=head_count,
        head_count_kv=head_count if head_count_kv is None else head_count_kv,
        key_length=_integer(fields, f"{architecture}.attention.key_length"),
        value_length=_integer(fields, f"{architecture}.attention.value_length"),
        has_chat_template="tokenizer.chat_template" in fields,
        tensor_bytes=sum(int(t.n_bytes) for t in tensors),
    )


def _string(fields: Any, key: str) -> str:
    """A string header field, or "" when absent or of another type."""
    field = fields.get(key)
    value = field.contents() if field is not None else None
    return value if isinstance(value, str) else ""


def _integer(fields: Any, key: str) -> int | None:
    """An integer header field; for a per-layer array, its largest value (the safe side)."""
    field = fields.get(key)
    if field is None:
        return None
    value = field.contents()
    if isinstance(value, list):
        numbers = [int(v) for v in value if isinstance(v, int) and not isinstance(v, bool)]
        return max(numbers) if numbers else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def _quantisation(fields: Any, tensors: Any) -> str:
    """``general.file_type`` as a name like ``Q4_K_M``; else the type holding most bytes."""
    file_type = _integer(fields, "general.file_type")
    if file_type is not None:
        try:
            name = LlamaFileType(file_type).name
        except ValueError:
            name = ""
        if name and name != "GUESSED":
            return name.removeprefix("MOSTLY_").removeprefix("ALL_")
    bytes_by_type: Counter[str] = Counter()
    for tensor in tensors:
        bytes_by_type[tensor.tensor_type.name] += int(tensor.n_bytes)
    if not bytes_by_type:
        return "unknown"
    return bytes_by_type.most_common(1)[0][0]
