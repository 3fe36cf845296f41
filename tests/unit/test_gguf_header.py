"""The GGUF header reader, checked against gguf's own ``GGUFReader``.

``GGUFReader`` is the reference: it is slow (seconds on the starter model's
vocabulary) and memory-maps the file, which is why NextHub has its own reader,
but what it reads is what llama.cpp's converters wrote.
"""

from __future__ import annotations

import struct
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from nexthub.gguf_header import (
    GGUF_MAGIC,
    MAX_KEPT_ARRAY,
    GgufCorruptError,
    GgufHeader,
    GgufHeaderError,
    GgufMagicError,
    GgufTruncatedError,
    GgufVersionError,
    SkippedArray,
    read_gguf_header,
)

LONG = MAX_KEPT_ARRAY + 1


def write_model(
    path: Path, *, big_endian: bool = False, alignment: int | None = None, vocabulary: bool = True
) -> Path:
    """A small model with each kind of field and tensor the reader treats differently."""
    endian = gguf.GGUFEndian.BIG if big_endian else gguf.GGUFEndian.LITTLE
    writer = gguf.GGUFWriter(path, "llama", endianess=endian)
    writer.add_name("Header Test")
    writer.add_block_count(2)
    writer.add_context_length(4096)
    writer.add_head_count_kv([1, 2])  # a per-layer array, kept
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_add_bos_token(True)
    writer.add_array("general.tags", ["chat", "test"])  # a short string array, kept
    if vocabulary:
        writer.add_token_list([f"token {i}" for i in range(LONG)])  # long strings, skipped
        writer.add_token_types([1] * LONG)  # a long numeric array, skipped
    if alignment is not None:
        writer.add_uint32("general.alignment", alignment)
    writer.add_tensor("token_embd.weight", np.ones((10, 8), dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.ones((8, 8), dtype=np.float16))
    q8_0 = gguf.GGMLQuantizationType.Q8_0  # 34 bytes for each block of 32 values
    writer.add_tensor("blk.1.ffn_up.weight", np.ones((4, 2 * 34), np.uint8), raw_dtype=q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def reference(path: Path) -> dict[str, Any]:
    """What ``GGUFReader`` reads, as plain values, in the shape of a ``GgufHeader``."""
    reader = gguf.GGUFReader(path)
    fields: dict[str, Any] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):  # the reader's own entries for version and counts
            continue
        if field.types[0] != gguf.GGUFValueType.ARRAY:
            fields[key] = field.contents()
        elif len(field.data) > MAX_KEPT_ARRAY:
            fields[key] = SkippedArray(field.types[-1], len(field.data))
        else:
            fields[key] = tuple(field.contents())
    return {
        "version": reader.fields["GGUF.version"].contents(),
        "byte_order": ">" if reader.endianess == gguf.GGUFEndian.BIG else "<",
        "alignment": int(reader.alignment),
        "data_offset": reader.data_offset,
        "fields": fields,
        "tensors": [
            (
                t.name,
                tuple(int(d) for d in t.shape),
                t.tensor_type,
                int(t.data_offset),
                int(t.n_bytes),
                int(t.n_elements),
            )
            for t in reader.tensors
        ],
    }


def described(header: GgufHeader) -> dict[str, Any]:
    """The same plain values, from our reader."""
    return {
        "version": header.version,
        "byte_order": header.byte_order,
        "alignment": header.alignment,
        "data_offset": header.data_offset,
        "fields": dict(header.fields),
        "tensors": [
            (t.name, t.shape, t.ggml_type, t.data_offset, t.n_bytes, t.n_elements)
            for t in header.tensors
        ],
    }


# -- The starter model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def starter_reference(starter_model_path: Path) -> dict[str, Any]:
    return reference(starter_model_path)  # several seconds: read once


def test_the_starter_model_reads_as_gguf_reader_reads_it(
    starter_model_path: Path, starter_reference: dict[str, Any]
) -> None:
    header = read_gguf_header(starter_model_path)

    assert described(header) == starter_reference
    assert list(header.fields) == list(starter_reference["fields"])  # in file order
    assert header.file_size == starter_model_path.stat().st_size
    assert header.fields["tokenizer.ggml.tokens"] == SkippedArray(gguf.GGUFValueType.STRING, 49152)
    assert header.string("general.architecture") == "llama"
    assert header.integer("llama.block_count") == 30
    assert len(header.tensors) == 272


def test_reading_the_starter_model_takes_well_under_a_second(starter_model_path: Path) -> None:
    # GGUFReader takes several seconds here; this reader steps over the vocabulary.
    start = time.perf_counter()
    read_gguf_header(starter_model_path)
    assert time.perf_counter() - start < 2.0


# -- Written files ------------------------------------------------------------------------------


@pytest.mark.parametrize("big_endian", [False, True], ids=["little-endian", "big-endian"])
def test_a_written_file_reads_as_gguf_reader_reads_it(tmp_path: Path, big_endian: bool) -> None:
    path = write_model(tmp_path / "model.gguf", big_endian=big_endian)

    header = read_gguf_header(path)

    assert described(header) == reference(path)
    assert header.byte_order == (">" if big_endian else "<")
    assert header.version == 3
    assert header.alignment == 32
    assert header.data_offset % 32 == 0
    assert header.fields["general.tags"] == ("chat", "test")
    assert header.fields["tokenizer.ggml.tokens"] == SkippedArray(gguf.GGUFValueType.STRING, LONG)
    assert header.fields["tokenizer.ggml.token_type"] == SkippedArray(
        gguf.GGUFValueType.INT32, LONG
    )
    by_name = {t.name: t for t in header.tensors}
    assert by_name["blk.1.ffn_up.weight"].shape == (64, 4)
    assert by_name["blk.1.ffn_up.weight"].n_bytes == 4 * 2 * 34
    assert by_name["blk.0.attn_q.weight"].n_bytes == 8 * 8 * 2


def test_both_byte_orders_say_the_same(tmp_path: Path) -> None:
    little = read_gguf_header(write_model(tmp_path / "little.gguf"))
    big = read_gguf_header(write_model(tmp_path / "big.gguf", big_endian=True))

    assert replace(big, byte_order="<") == little


def test_fields_are_read_as_integers_and_strings(tmp_path: Path) -> None:
    header = read_gguf_header(write_model(tmp_path / "model.gguf"))

    assert header.integer("llama.context_length") == 4096
    assert header.integer("llama.attention.head_count_kv") == 2  # per layer: the largest
    assert header.integer("llama.attention.layer_norm_rms_epsilon") is None  # a float
    assert header.integer("tokenizer.ggml.add_bos_token") is None  # a bool
    assert header.integer("general.name") is None
    assert header.integer("tokenizer.ggml.token_type") is None  # skipped
    assert header.integer("nothing.here") is None
    assert header.string("general.name") == "Header Test"
    assert header.string("llama.context_length") is None
    assert header.string("nothing.here") is None


# -- Files that are cut short or damaged ------------------------------------------------------


def test_a_file_cut_anywhere_in_its_header_is_truncated(tmp_path: Path) -> None:
    whole_path = write_model(tmp_path / "whole.gguf", vocabulary=False)  # a short header
    whole = read_gguf_header(whole_path)
    data = whole_path.read_bytes()
    cut_path = tmp_path / "cut.gguf"

    complete = []
    for cut in range(len(GGUF_MAGIC), whole.data_offset + 1):
        cut_path.write_bytes(data[:cut])
        try:
            header = read_gguf_header(cut_path)
        except GgufTruncatedError as exc:
            assert "ends" in exc.reason
            complete.append(False)
        else:
            assert replace(header, file_size=whole.file_size) == whole
            complete.append(True)

    # Truncated up to the end of the tensor table, readable from there on.
    header_end = len(GGUF_MAGIC) + complete.index(True)
    assert all(complete[complete.index(True) :])
    assert whole.data_offset - whole.alignment < header_end <= whole.data_offset


def test_a_file_cut_in_its_vocabulary_is_truncated(tmp_path: Path) -> None:
    data = write_model(tmp_path / "model.gguf").read_bytes()
    first = data.index(b"token 0")
    last = data.index(f"token {LONG - 1}".encode())
    path = tmp_path / "cut.gguf"

    for cut in (first - 4, first + 3, (first + last) // 2, last + 3):
        path.write_bytes(data[:cut])
        with pytest.raises(GgufTruncatedError):
            read_gguf_header(path)


def test_a_file_cut_in_its_tensor_data_still_has_a_whole_header(tmp_path: Path) -> None:
    path = write_model(tmp_path / "model.gguf")
    whole = read_gguf_header(path)
    path.write_bytes(path.read_bytes()[:-100])

    header = read_gguf_header(path)

    assert header.tensors == whole.tensors
    last = header.tensors[-1]
    assert last.data_offset + last.n_bytes > header.file_size  # for the caller to judge


@pytest.mark.parametrize(
    "content",
    [b"", b"GGU", b"ggjt" + bytes(100), b"These are my notes, not a model.\n"],
    ids=["empty", "short", "ggjt", "text"],
)
def test_a_file_that_does_not_start_with_gguf_is_not_a_gguf(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "file.gguf"
    path.write_bytes(content)

    with pytest.raises(GgufMagicError, match="does not start with 'GGUF'"):
        read_gguf_header(path)


@pytest.mark.parametrize("version", [0, 1, 4, 99])
def test_an_unsupported_version_is_refused_with_its_number(tmp_path: Path, version: int) -> None:
    path = write_model(tmp_path / "model.gguf")
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", version)
    path.write_bytes(bytes(data))

    with pytest.raises(GgufVersionError, match=f"version {version} ") as caught:
        read_gguf_header(path)

    assert caught.value.version == version


def patch(path: Path, after: bytes, value: int) -> None:
    """Overwrite the u32 that follows the first occurrence of ``after`` in the file."""
    data = bytearray(path.read_bytes())
    at = data.index(after) + len(after)
    data[at : at + 4] = struct.pack("<I", value)
    path.write_bytes(bytes(data))


def test_an_unknown_value_type_is_damage(tmp_path: Path) -> None:
    path = write_model(tmp_path / "model.gguf")
    patch(path, b"general.architecture", 77)  # a key is followed by its value type

    with pytest.raises(GgufCorruptError, match="unknown value type 77"):
        read_gguf_header(path)


def test_an_unknown_tensor_type_is_damage(tmp_path: Path) -> None:
    path = write_model(tmp_path / "model.gguf")
    # A tensor's name is followed by its dimension count (2), two u64 dimensions, its type.
    patch(path, b"token_embd.weight" + struct.pack("<IQQ", 2, 8, 10), 99)

    with pytest.raises(GgufCorruptError, match="unknown ggml type 99"):
        read_gguf_header(path)


def test_an_alignment_that_is_not_a_power_of_two_is_damage(tmp_path: Path) -> None:
    path = write_model(tmp_path / "model.gguf", alignment=48)

    with pytest.raises(GgufCorruptError, match="alignment"):
        read_gguf_header(path)


def test_every_error_is_a_header_error_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "file.gguf"
    for content in (b"", b"GGUF\x03\x00", b"GGUF" + struct.pack("<I", 9)):
        path.write_bytes(content)
        with pytest.raises(GgufHeaderError) as caught:
            read_gguf_header(path)
        assert caught.value.reason == str(caught.value) != ""


# -- The file is not kept open -----------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_the_file_is_closed_and_unmapped_after_reading_and_after_an_error(
    tmp_path: Path,
) -> None:
    good = write_model(tmp_path / "good.gguf")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(good.read_bytes()[:100])

    def held(path: Path) -> bool:
        target = str(path.resolve())
        maps = Path("/proc/self/maps").read_text(encoding="utf-8")
        fds = [str(fd.readlink()) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
        return target in maps or target in fds

    read_gguf_header(good)
    with pytest.raises(GgufTruncatedError):
        read_gguf_header(cut)

    assert not held(good)
    assert not held(cut)


def test_a_file_can_be_deleted_right_after_an_error(tmp_path: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(write_model(tmp_path / "model.gguf").read_bytes()[:100])
    with pytest.raises(GgufTruncatedError):
        read_gguf_header(path)

    path.unlink()  # Windows refuses while the file is open or mapped

    assert not path.exists()
