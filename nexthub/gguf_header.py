"""Read a GGUF file's header: its key/value fields and its table of tensors.

The model registry (``models/gguf_info.py``: is this a file NextHub can run?)
and the engine (``engine/gpu_fit.py``: how much of it fits on the GPU?) both
need what a GGUF header says, and neither may import the other, so the one
reader lives here, beside ``paths.py`` and ``errors.py``. It imports nothing of
NextHub, only the ``gguf`` package's tables of value and tensor types.

Why not ``gguf.GGUFReader``: it memory-maps the whole file and builds numpy
objects for every item of every array, and a header is mostly the tokenizer's
vocabulary and merges, so it takes seconds on a small model; and Windows
refuses to delete a file while a mapping of it lives. This reader walks the
header with :mod:`struct` over ordinary buffered reads, steps over long arrays
without building their items, and closes the file before it returns.

The layout (gguf's docs and ``GGUFReader``): the magic ``GGUF``, a u32
version, u64 tensor and field counts; each field is a string key, a u32 value
type and the value; each tensor is a string name, a u32 dimension count, u64
dimensions, a u32 ggml type and a u64 offset into the tensor data, which starts
at the end of the header rounded up to ``general.alignment``. A string is a u64
length and UTF-8 bytes; an array is a u32 item type, a u64 count and the items.
A version whose low 16 bits are zero was written in the other byte order.

A file that cannot be read raises a :class:`GgufHeaderError` subclass with a
short technical reason; callers turn it into a message for their users.
"""

from __future__ import annotations

import functools
import math
import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal, TypeGuard

from gguf import GGML_QUANT_SIZES, GGUF_DEFAULT_ALIGNMENT, GGMLQuantizationType, GGUFValueType

#: The four bytes every GGUF file starts with.
GGUF_MAGIC = b"GGUF"
#: The GGUF versions this reader understands (those llama.cpp writes and reads).
SUPPORTED_VERSIONS = (2, 3)
#: Arrays longer than this are stepped over, not kept: a tokenizer's vocabulary,
#: merges, token types and scores. Per-layer values are far shorter.
MAX_KEPT_ARRAY = 1024

#: ggml tensors have at most four dimensions (``GGML_MAX_DIMS``).
_MAX_DIMS = 4
#: Arrays of arrays deeper than this are taken for damage, not data.
_MAX_NESTING = 8
#: A key, name or string value longer than this is taken for damage: the longest
#: real ones, chat templates, are tens of kilobytes.
_MAX_STRING = 16 * 1024 * 1024
#: Bytes read from the file at a time.
_CHUNK = 1024 * 1024

#: struct codes of the fixed-size value types.
_SCALAR_CODES: dict[GGUFValueType, str] = {
    GGUFValueType.UINT8: "B",
    GGUFValueType.INT8: "b",
    GGUFValueType.UINT16: "H",
    GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I",
    GGUFValueType.INT32: "i",
    GGUFValueType.FLOAT32: "f",
    GGUFValueType.BOOL: "?",
    GGUFValueType.UINT64: "Q",
    GGUFValueType.INT64: "q",
    GGUFValueType.FLOAT64: "d",
}


# -- Errors ------------------------------------------------------------------------------------


class GgufHeaderError(Exception):
    """The GGUF header cannot be read; ``reason`` says why, in a few technical words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GgufMagicError(GgufHeaderError):
    """The file does not start with ``GGUF`` (it may be empty)."""


class GgufTruncatedError(GgufHeaderError):
    """The file ends before its header does."""


class GgufVersionError(GgufHeaderError):
    """The file is a GGUF of a version this reader cannot read; ``version`` is the number."""

    def __init__(self, version: int) -> None:
        supported = " and ".join(str(v) for v in SUPPORTED_VERSIONS)
        super().__init__(f"GGUF version {version} is not supported (only {supported})")
        self.version = version


class GgufCorruptError(GgufHeaderError):
    """The header is there but does not make sense: an unknown type, a duplicate name."""


# -- What the header says ----------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedArray:
    """An array the reader stepped over: its item type and length, without its items."""

    item_type: GGUFValueType
    length: int


GgufScalar = int | float | bool | str
#: A field's value: a scalar, a short array's items, or a long array's outline.
GgufValue = GgufScalar | tuple[GgufScalar, ...] | SkippedArray


@dataclass(frozen=True)
class GgufTensorInfo:
    """One tensor's entry in the header: where its data is and how large it is."""

    name: str
    #: Dimensions as stored, fastest-varying first (ggml's ``ne``).
    shape: tuple[int, ...]
    ggml_type: GGMLQuantizationType
    #: Where the tensor's data starts, counted from the start of the file.
    data_offset: int
    #: Size of the data: elements x type size / block size (gguf's ``GGML_QUANT_SIZES``).
    n_bytes: int

    @property
    def n_elements(self) -> int:
        """The number of values in the tensor."""
        return math.prod(self.shape)


@dataclass(frozen=True)
class GgufHeader:
    """Everything a GGUF file's header says, as plain values."""

    #: GGUF format version (one of :data:`SUPPORTED_VERSIONS`).
    version: int
    #: The file's byte order in :mod:`struct` notation: ``"<"`` little, ``">"`` big endian.
    byte_order: Literal["<", ">"]
    #: The key/value fields in file order (arrays longer than :data:`MAX_KEPT_ARRAY`
    #: and arrays of arrays as :class:`SkippedArray`).
    fields: Mapping[str, GgufValue]
    tensors: tuple[GgufTensorInfo, ...]
    #: ``general.alignment``, or the default of 32.
    alignment: int
    #: Where the tensor data starts: the end of the header rounded up to ``alignment``.
    data_offset: int
    #: Size of the file on disk, in bytes.
    file_size: int

    def integer(self, key: str) -> int | None:
        """An integer field; for a per-layer array of integers, its largest value.

        The largest is the safe side for every size NextHub estimates (heads,
        key and value lengths). ``None`` when absent or not an integer.
        """
        value = self.fields.get(key)
        if isinstance(value, tuple):
            numbers = [v for v in value if _is_integer(v)]
            return max(numbers) if numbers else None
        return value if _is_integer(value) else None

    def string(self, key: str) -> str | None:
        """A string field, or ``None`` when absent or of another type."""
        value = self.fields.get(key)
        return value if isinstance(value, str) else None


def _is_integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def read_gguf_header(path: Path | str) -> GgufHeader:
    """Read the header of the GGUF file at ``path``; no tensor data is read.

    The file is opened with ordinary reads, never mapped, and closed before
    this returns or raises. Raises :class:`GgufHeaderError` (a subclass naming
    the problem) when the file is not a readable GGUF header, and ``OSError``
    when it cannot be opened or read at all.
    """
    with Path(path).open("rb") as file:
        return _HeaderParser(file, os.fstat(file.fileno()).st_size).parse()


# -- The reader ----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _layout(order: str, code: str, count: int = 1) -> struct.Struct:
    return struct.Struct(f"{order}{count}{code}")


class _HeaderParser:
    """Walks a GGUF header from the start of ``file``, reading it a chunk at a time.

    Every read is checked against the file's size first, so a length or count
    running past the end raises :class:`GgufTruncatedError` before anything is
    allocated for it.
    """

    def __init__(self, file: BinaryIO, file_size: int) -> None:
        self._file = file
        self._size = file_size
        self._order: Literal["<", ">"] = "<"
        self._buffer = b""
        self._pos = 0  # the next byte to read, in the buffer
        self._base = 0  # the buffer's first byte, in the file

    # -- Bytes -----------------------------------------------------------------------------

    @property
    def _offset(self) -> int:
        return self._base + self._pos

    def _ensure(self, size: int) -> None:
        """Have ``size`` bytes from the current position in the buffer."""
        if len(self._buffer) - self._pos >= size:
            return
        if size > self._size - self._offset:
            raise GgufTruncatedError(f"the file ends inside the header (at byte {self._size})")
        rest = self._buffer[self._pos :]
        more = self._file.read(max(size - len(rest), _CHUNK))
        self._base += self._pos
        self._buffer, self._pos = rest + more, 0
        if len(self._buffer) < size:  # the file shrank while being read
            raise GgufTruncatedError("the file ended while its header was being read")

    def _take(self, size: int) -> bytes:
        self._ensure(size)
        data = self._buffer[self._pos : self._pos + size]
        self._pos += size
        return data

    def _skip(self, size: int) -> None:
        if size <= len(self._buffer) - self._pos:
            self._pos += size
            return
        if size > self._size - self._offset:
            raise GgufTruncatedError(f"the file ends inside the header (at byte {self._size})")
        self._base = self._offset + size
        self._buffer, self._pos = b"", 0
        self._file.seek(self._base)

    def _unpack(self, code: str, count: int = 1) -> tuple[int | float | bool, ...]:
        """``count`` values of struct type ``code`` in the file's byte order."""
        layout = _layout(self._order, code, count)
        self._ensure(layout.size)
        values: tuple[int | float | bool, ...] = layout.unpack_from(self._buffer, self._pos)
        self._pos += layout.size
        return values

    def _u32(self) -> int:
        return int(self._unpack("I")[0])

    def _u64(self) -> int:
        return int(self._unpack("Q")[0])

    def _skip_strings(self, count: int) -> None:
        """Step over ``count`` strings (a vocabulary) without copying or decoding them."""
        length_at = _layout(self._order, "Q").unpack_from
        for _ in range(count):
            self._ensure(8)
            (length,) = length_at(self._buffer, self._pos)
            self._pos += 8
            self._skip(length)

    def _string(self, *, strict: bool = False) -> str:
        """A length-prefixed string; names must be valid UTF-8, values need not be."""
        length = self._u64()
        self._check_room(length, 1)
        if length > _MAX_STRING:
            raise GgufCorruptError(f"a string at byte {self._offset} claims {length} bytes")
        data = self._take(length)
        try:
            return data.decode("utf-8", errors="strict" if strict else "replace")
        except UnicodeDecodeError:
            raise GgufCorruptError(f"a name at byte {self._offset} is not UTF-8") from None

    # -- The header ------------------------------------------------------------------------

    def parse(self) -> GgufHeader:
        """Read the magic, the version, the fields and the tensor table."""
        if self._file.read(len(GGUF_MAGIC)) != GGUF_MAGIC:
            raise GgufMagicError("the file does not start with 'GGUF'")
        self._base = len(GGUF_MAGIC)
        version = self._u32()
        if version & 0xFFFF == 0:  # written on a machine of the other byte order
            self._order = ">"
            version = int.from_bytes(version.to_bytes(4, "little"), "big")
        if version not in SUPPORTED_VERSIONS:
            raise GgufVersionError(version)
        tensor_count, field_count = self._u64(), self._u64()
        fields = self._fields(field_count)
        entries = self._tensor_entries(tensor_count)
        alignment = _alignment(fields)
        data_offset = -(-self._offset // alignment) * alignment
        return GgufHeader(
            version=version,
            byte_order=self._order,
            fields={key: value for key, (_, value) in fields.items()},
            tensors=tuple(_tensor_info(*entry, data_offset) for entry in entries),
            alignment=alignment,
            data_offset=data_offset,
            file_size=self._size,
        )

    def _check_room(self, count: int, item_size: int) -> None:
        """Fail at once when ``count`` items cannot fit in what is left of the file."""
        if count * item_size > self._size - self._offset:
            raise GgufTruncatedError(f"the file ends inside the header (at byte {self._size})")

    def _fields(self, count: int) -> dict[str, tuple[GGUFValueType, GgufValue]]:
        """Each key with its value type and value."""
        self._check_room(count, 13)  # a key's length, a value type and one byte
        fields: dict[str, tuple[GGUFValueType, GgufValue]] = {}
        for _ in range(count):
            key = self._string(strict=True)
            if key in fields:
                raise GgufCorruptError(f"the key {key!r} appears twice")
            value_type = self._value_type(key)
            fields[key] = (value_type, self._value(value_type, key))
        return fields

    def _value_type(self, key: str) -> GGUFValueType:
        raw = self._u32()
        try:
            return GGUFValueType(raw)
        except ValueError:
            raise GgufCorruptError(f"unknown value type {raw} for {key!r}") from None

    def _value(self, value_type: GGUFValueType, key: str) -> GgufValue:
        if value_type == GGUFValueType.STRING:
            return self._string()
        if value_type == GGUFValueType.ARRAY:
            return self._array(key, depth=1)
        return self._unpack(_SCALAR_CODES[value_type])[0]

    def _array(self, key: str, depth: int) -> tuple[GgufScalar, ...] | SkippedArray:
        """An array's items, or its outline when it is long or holds arrays."""
        item_type = self._value_type(key)
        count = self._u64()
        code = _SCALAR_CODES.get(item_type)
        if code is not None:
            item_size = struct.calcsize(code)
            self._check_room(count, item_size)
            if count <= MAX_KEPT_ARRAY:
                return self._unpack(code, count)
            self._skip(count * item_size)
        elif item_type == GGUFValueType.STRING:
            self._check_room(count, 8)
            if count <= MAX_KEPT_ARRAY:
                return tuple(self._string() for _ in range(count))
            self._skip_strings(count)
        else:  # arrays of arrays: no field NextHub reads is one
            if depth >= _MAX_NESTING:
                raise GgufCorruptError(f"the arrays of {key!r} are nested too deep")
            self._check_room(count, 12)  # an item type and a count
            for _ in range(count):
                self._array(key, depth + 1)
        return SkippedArray(item_type, count)

    def _tensor_entries(self, count: int) -> list[tuple[str, tuple[int, ...], int, int]]:
        """Each tensor's name, shape, raw ggml type and offset into the tensor data."""
        self._check_room(count, 24)  # a name's length, dimension count, type and offset
        entries = []
        names = set()
        for _ in range(count):
            name = self._string(strict=True)
            if name in names:
                raise GgufCorruptError(f"the tensor {name!r} appears twice")
            names.add(name)
            n_dims = self._u32()
            if n_dims > _MAX_DIMS:
                raise GgufCorruptError(f"tensor {name!r} has {n_dims} dimensions")
            shape = tuple(int(d) for d in self._unpack("Q", n_dims))
            entries.append((name, shape, self._u32(), self._u64()))
        return entries


def _alignment(fields: Mapping[str, tuple[GGUFValueType, GgufValue]]) -> int:
    """``general.alignment``: a u32 power of two, 32 when the file does not say."""
    if "general.alignment" not in fields:
        return int(GGUF_DEFAULT_ALIGNMENT)
    value_type, value = fields["general.alignment"]
    is_u32 = value_type == GGUFValueType.UINT32
    if is_u32 and _is_integer(value) and value > 0 and value & (value - 1) == 0:
        return value
    raise GgufCorruptError(f"general.alignment {value!r} is not a power of two")


def _tensor_info(
    name: str, shape: tuple[int, ...], raw_type: int, offset: int, data_offset: int
) -> GgufTensorInfo:
    """A tensor's entry, with its absolute data offset and its size in bytes."""
    try:
        ggml_type = GGMLQuantizationType(raw_type)
        block_size, type_size = GGML_QUANT_SIZES[ggml_type]
    except (ValueError, KeyError):
        raise GgufCorruptError(f"tensor {name!r} has unknown ggml type {raw_type}") from None
    return GgufTensorInfo(
        name=name,
        shape=shape,
        ggml_type=ggml_type,
        data_offset=data_offset + offset,
        n_bytes=math.prod(shape) * type_size // block_size,
    )
