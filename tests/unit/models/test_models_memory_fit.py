"""Memory estimates and the "too large" refusal, with made-up and real numbers."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nexthub.models import (
    GgufInfo,
    MemoryFit,
    ModelTooLargeError,
    check_fits_in_memory,
    classify_fit,
    estimate_memory,
    inspect_gguf,
)
from nexthub.models.memory_fit import OVERHEAD_BYTES, format_gb
from tests.gguf_files import write_sparse_huge_gguf

GB = 1_000_000_000
MIB = 1024 * 1024


def shape(**changes: Any) -> GgufInfo:
    """A model shaped like Llama 3.2 1B (16 layers, 2048 wide, 32 heads, 8 KV heads)."""
    info = GgufInfo(
        path=Path("llama-1b.gguf"),
        file_size=800 * MIB,
        gguf_version=3,
        architecture="llama",
        name="Llama 1B",
        parameter_count=1_235_814_400,
        quantisation="Q4_K_M",
        context_length=131072,
        layer_count=16,
        embedding_length=2048,
        head_count=32,
        head_count_kv=8,
        key_length=None,
        value_length=None,
        has_chat_template=True,
        tensor_bytes=770 * MIB,
    )
    return replace(info, **changes)


def test_the_estimate_is_weights_plus_f16_kv_cache_plus_overhead() -> None:
    # K and V, 16 layers, 4096 tokens, 8 KV heads of 2048 / 32 = 64 elements, 2 bytes each.
    kv = 2 * 16 * 4096 * 8 * 64 * 2

    assert estimate_memory(shape(), 4096) == 770 * MIB + kv + OVERHEAD_BYTES
    assert kv == 128 * MIB


def test_the_kv_cache_grows_with_the_context() -> None:
    small, large = estimate_memory(shape(), 2048), estimate_memory(shape(), 8192)

    assert large - small == 3 * 64 * MIB


def test_explicit_key_and_value_lengths_are_used() -> None:
    # Gemma 2 style: head size 256 although 2304 / 8 would be 288.
    info = shape(embedding_length=2304, head_count=8, head_count_kv=4, key_length=256)
    info = replace(info, value_length=256, layer_count=26)

    kv = estimate_memory(info, 1024) - info.tensor_bytes - OVERHEAD_BYTES

    assert kv == 2 * 26 * 1024 * 4 * 256 * 2


@pytest.mark.parametrize(
    ("ram", "vram", "expected"),
    [
        (16 * GB, 8 * GB, MemoryFit.GPU),
        (16 * GB, 2 * GB, MemoryFit.CPU_GPU),
        (2 * GB, 2 * GB, MemoryFit.CPU_GPU),
        (16 * GB, 0, MemoryFit.CPU),
        (2 * GB, 0, MemoryFit.TOO_LARGE),
        (1 * GB, 1 * GB, MemoryFit.TOO_LARGE),
    ],
)
def test_where_a_3_gb_model_can_run(ram: int, vram: int, expected: MemoryFit) -> None:
    assert classify_fit(3 * GB, available_ram=ram, free_vram=vram) is expected


def test_the_classes_read_as_the_user_sees_them() -> None:
    assert [str(fit) for fit in MemoryFit] == ["fits in GPU", "CPU+GPU", "CPU only", "too large"]


def test_a_model_that_fits_is_classified_not_refused() -> None:
    assert check_fits_in_memory(shape(), 4096, available_ram=8 * GB, free_vram=0) is MemoryFit.CPU


def test_a_model_too_large_is_refused_with_both_numbers() -> None:
    info = shape(tensor_bytes=40 * GB)

    with pytest.raises(ModelTooLargeError) as caught:
        check_fits_in_memory(info, 4096, available_ram=12 * GB, free_vram=4 * GB)

    message = str(caught.value)
    assert f"needs about {format_gb(estimate_memory(info, 4096))}" in message
    assert "this machine has about 16 GB available" in message
    assert "Llama 1B" in message


def test_the_starter_model_fits_a_small_laptop(starter_path: Path) -> None:
    info = inspect_gguf(starter_path)

    assert check_fits_in_memory(info, 8192, available_ram=4 * GB, free_vram=0) is MemoryFit.CPU
    assert estimate_memory(info, 8192) < 1 * GB


@pytest.mark.skipif(sys.platform == "win32", reason="needs a sparse file (NTFS would allocate it)")
def test_a_file_claiming_64_gib_of_weights_is_too_large(tmp_path: Path) -> None:
    """A real (sparse) GGUF whose header declares a 64 GiB tensor, read end to end."""
    path = write_sparse_huge_gguf(tmp_path / "huge.gguf", gib=64)

    info = inspect_gguf(path)
    assert info.tensor_bytes == 64 * 1024**3

    with pytest.raises(ModelTooLargeError, match=r"needs about 7[0-9] GB"):
        check_fits_in_memory(info, 4096, available_ram=32 * GB, free_vram=24 * GB)
