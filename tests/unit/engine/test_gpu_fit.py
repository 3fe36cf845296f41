"""GPU-layer fitting: the starter model's real shape, and the arithmetic on it.

There is no GPU on the machines these tests run on (CI has none either), so
free GPU memory is passed in as a number; the fitting is a pure function of it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from nexthub.engine.errors import ModelLoadError
from nexthub.engine.gpu_fit import (
    MIN_RESERVE_BYTES,
    ModelShape,
    default_reserve,
    fit_gpu_layers,
    kv_bytes_per_layer,
    read_model_shape,
    resolve_gpu_layers,
    use_flash_attention,
)

MIB = 1024 * 1024
GIB = 1024 * MIB


@pytest.fixture(scope="module")
def smol(starter_model_path: Path) -> ModelShape:
    """The starter model's shape (``starter_model_path`` is in tests/conftest.py)."""
    return read_model_shape(starter_model_path)


# -- reading the shape -----------------------------------------------------------


def test_starter_model_shape(smol: ModelShape, starter_model_path: Path) -> None:
    # SmolLM2-135M: 30 llama blocks, 576 wide, 9 query heads sharing 3 KV heads of 64.
    assert smol.architecture == "llama"
    assert smol.layer_count == 30
    assert len(smol.layer_bytes) == 30
    assert smol.embedding_length == 576
    assert smol.head_count == 9
    assert smol.head_count_kv == 3
    assert smol.key_dim == smol.value_dim == 64
    assert smol.training_context == 8192
    assert smol.offloadable_layers == 31
    # Q4_1 blocks all have the same tensor types, hence the same size.
    assert len(set(smol.layer_bytes)) == 1
    assert 2 * MIB < smol.layer_bytes[0] < 3 * MIB
    # The tensors are nearly the whole file; the rest is the header (vocabulary).
    tensors = sum(smol.layer_bytes) + smol.non_layer_bytes
    file_size = starter_model_path.stat().st_size
    assert 0.9 * file_size < tensors < file_size


def test_tied_output_puts_the_embeddings_on_the_output_device(smol: ModelShape) -> None:
    # SmolLM2 has no output.weight: llama.cpp duplicates token_embd for the output layer,
    # so the output layer costs the embeddings (Q8_0, 49152 x 576) plus the final norm.
    token_embd = 49152 * 576 * 34 // 32
    assert smol.output_bytes == smol.non_layer_bytes == token_embd + 576 * 4


def test_the_header_reader_agrees_with_gguf_reader(
    smol: ModelShape, starter_model_path: Path
) -> None:
    # GGUFReader (slow: it builds an array per vocabulary entry) is the reference.
    gguf = pytest.importorskip("gguf")
    reader = gguf.GGUFReader(starter_model_path)
    per_layer = [0] * 30
    other = 0
    for tensor in reader.tensors:
        if tensor.name.startswith("blk."):
            per_layer[int(tensor.name.split(".")[1])] += int(tensor.n_bytes)
        else:
            other += int(tensor.n_bytes)
    assert smol.layer_bytes == tuple(per_layer)
    assert smol.non_layer_bytes == other
    for key, value in [
        ("llama.attention.head_count_kv", smol.head_count_kv),
        ("llama.attention.head_count", smol.head_count),
        ("llama.embedding_length", smol.embedding_length),
        ("llama.context_length", smol.training_context),
    ]:
        field = reader.get_field(key)
        assert field is not None
        assert field.contents() == value, key


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self")
def test_reading_the_shape_leaves_the_file_closed_and_unmapped(starter_model_path: Path) -> None:
    target = str(starter_model_path.resolve())

    def held() -> bool:
        maps = Path("/proc/self/maps").read_text(encoding="utf-8")
        fds = [str(fd.readlink()) for fd in Path("/proc/self/fd").iterdir() if fd.is_symlink()]
        return target in maps or target in fds

    assert not held()
    read_model_shape(starter_model_path)
    assert not held()


def _write_gguf(path: Path, *, big_endian: bool = False) -> None:
    """A tiny two-block model with untied output, per-layer KV heads and explicit head dims."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    endian = gguf.GGUFEndian.BIG if big_endian else gguf.GGUFEndian.LITTLE
    writer = gguf.GGUFWriter(str(path), "llama", endianess=endian)
    writer.add_block_count(2)
    writer.add_context_length(2048)
    writer.add_embedding_length(8)
    writer.add_head_count(2)
    writer.add_head_count_kv([1, 2])  # per layer: the larger one counts
    writer.add_key_length(16)
    writer.add_value_length(8)
    writer.add_token_list(["a", "bb", "ccc"])
    writer.add_token_scores([0.5, -1.0, 2.0])
    writer.add_tensor("token_embd.weight", np.zeros((10, 8), dtype=np.float32))
    writer.add_tensor("output.weight", np.zeros((10, 8), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.zeros(8, dtype=np.float32))
    writer.add_tensor("blk.0.attn_q.weight", np.zeros((8, 8), dtype=np.float32))
    writer.add_tensor("blk.1.attn_q.weight", np.zeros((8, 8), dtype=np.float16))
    writer.add_tensor("blk.1.ffn_up.weight", np.zeros((4, 8), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


@pytest.mark.parametrize("big_endian", [False, True], ids=["little-endian", "big-endian"])
def test_untied_output_leaves_the_input_embeddings_on_the_cpu(
    tmp_path: Path, big_endian: bool
) -> None:
    path = tmp_path / "untied.gguf"
    _write_gguf(path, big_endian=big_endian)
    shape = read_model_shape(path)
    assert shape.layer_bytes == (8 * 8 * 4, 8 * 8 * 2 + 4 * 8 * 2)
    assert shape.non_layer_bytes == 320 + 320 + 32
    assert shape.output_bytes == 320 + 32  # output.weight and the norm, not token_embd
    assert shape.head_count_kv == 2
    assert (shape.key_dim, shape.value_dim) == (16, 8)
    assert shape.training_context == 2048


def test_a_truncated_header_is_a_load_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.gguf"
    _write_gguf(whole)
    data = whole.read_bytes()
    for cut in (4, 24, 60, 200, 400):
        path = tmp_path / "cut.gguf"
        path.write_bytes(data[:cut])
        with pytest.raises(ModelLoadError, match=r"cut\.gguf"):
            read_model_shape(path)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a gguf file at all", b"GGUF\x03\x00", b"GGUF\x07\x00\x00\x00" + bytes(16)],
    ids=["empty", "text", "short", "version-7"],
)
def test_a_file_that_is_not_gguf_is_a_load_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelLoadError, match=r"broken\.gguf"):
        read_model_shape(path)


def test_a_file_without_block_count_is_a_load_error(tmp_path: Path) -> None:
    gguf = pytest.importorskip("gguf")
    path = tmp_path / "adapter.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(ModelLoadError, match=r"llama\.block_count"):
        read_model_shape(path)


def test_a_missing_file_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match=r"nothing\.gguf"):
        read_model_shape(tmp_path / "nothing.gguf")


def test_a_shape_with_the_wrong_number_of_layer_sizes_is_refused() -> None:
    with pytest.raises(ValueError, match="2 entries for 3 layers"):
        _shape(layer_bytes=(1, 2), layer_count=3)


# -- the arithmetic on the starter model ---------------------------------------


def test_kv_cache_per_layer_is_k_and_v_for_every_kv_head(smol: ModelShape) -> None:
    # 2 (K and V) x 4096 tokens x 3 KV heads x 64 dims x 2 bytes (F16) = 3 MiB.
    assert kv_bytes_per_layer(smol, 4096) == 2 * 4096 * 3 * 64 * 2 == 3 * MIB
    assert kv_bytes_per_layer(smol, 4096, kv_bytes_per_element=1) == 3 * MIB // 2


def test_plenty_of_memory_offloads_every_layer_and_the_output(smol: ModelShape) -> None:
    assert fit_gpu_layers(smol, 4096, 8 * GIB) == smol.layer_count + 1 == 31


def test_no_gpu_memory_offloads_nothing(smol: ModelShape) -> None:
    assert fit_gpu_layers(smol, 4096, 0) == 0
    assert fit_gpu_layers(smol, 4096, -1) == 0


def test_memory_below_the_reserve_offloads_nothing(smol: ModelShape) -> None:
    assert fit_gpu_layers(smol, 4096, MIN_RESERVE_BYTES) == 0
    assert fit_gpu_layers(smol, 4096, MIN_RESERVE_BYTES + smol.output_bytes - 1) == 0


def _full_cost(shape: ModelShape, context: int) -> int:
    """Bytes the whole model needs on the GPU: output layer, every block, every KV slice."""
    per_block = shape.layer_bytes[0] + kv_bytes_per_layer(shape, context)
    return shape.output_bytes + shape.layer_count * per_block


def test_memory_for_half_the_model_offloads_about_half_the_layers(smol: ModelShape) -> None:
    half = _full_cost(smol, 4096) // 2
    layers = fit_gpu_layers(smol, 4096, MIN_RESERVE_BYTES + half)
    assert 12 <= layers <= 19
    # The exact count: the output layer (~30 MB, tied embeddings) comes first,
    # then as many 2.2 MB + 3 MiB KV blocks as the rest of the budget holds.
    per_block = smol.layer_bytes[0] + kv_bytes_per_layer(smol, 4096)
    assert layers == 1 + (half - smol.output_bytes) // per_block


def test_exactly_enough_memory_fits_everything_and_one_byte_less_does_not(
    smol: ModelShape,
) -> None:
    full = _full_cost(smol, 4096)
    assert fit_gpu_layers(smol, 4096, full, reserve_bytes=0) == 31
    assert fit_gpu_layers(smol, 4096, full - 1, reserve_bytes=0) == 30


def test_the_output_layer_is_offloaded_first(smol: ModelShape) -> None:
    # llama.cpp's n_gpu_layers = 1 moves only the output layer; it needs no KV cache.
    assert fit_gpu_layers(smol, 4096, smol.output_bytes, reserve_bytes=0) == 1
    assert fit_gpu_layers(smol, 4096, smol.output_bytes - 1, reserve_bytes=0) == 0


def test_more_context_offloads_fewer_layers(smol: ModelShape) -> None:
    free = MIN_RESERVE_BYTES + 200 * MIB
    layers = [fit_gpu_layers(smol, context, free) for context in (2048, 8192, 32768)]
    assert layers[0] > layers[1] > layers[2] > 0


def test_a_smaller_kv_cache_type_offloads_more_layers(smol: ModelShape) -> None:
    free = MIN_RESERVE_BYTES + 150 * MIB
    f16 = fit_gpu_layers(smol, 8192, free)
    q8 = fit_gpu_layers(smol, 8192, free, kv_bytes_per_element=34 / 32)
    assert f16 < q8


def test_more_free_memory_never_offloads_fewer_layers(smol: ModelShape) -> None:
    counts = [fit_gpu_layers(smol, 4096, free) for free in range(0, 1 * GIB, 7 * MIB)]
    assert counts == sorted(counts)
    assert counts[0] == 0
    assert counts[-1] == 31


def test_the_reserve_grows_with_large_gpus() -> None:
    assert default_reserve(0) == MIN_RESERVE_BYTES
    assert default_reserve(4 * GIB) == MIN_RESERVE_BYTES
    assert default_reserve(80 * GIB) == 4 * GIB


# -- hand-built shapes ---------------------------------------------------------------


def _shape(
    layer_bytes: tuple[int, ...] = (100, 100, 100, 100),
    layer_count: int | None = None,
    output_bytes: int = 50,
) -> ModelShape:
    return ModelShape(
        architecture="test",
        layer_count=len(layer_bytes) if layer_count is None else layer_count,
        layer_bytes=layer_bytes,
        non_layer_bytes=output_bytes + 10,
        output_bytes=output_bytes,
        embedding_length=8,
        head_count=2,
        head_count_kv=1,
    )


def test_blocks_are_offloaded_from_the_last_one_back() -> None:
    # llama.cpp offloads the last n - 1 blocks; a big last block is paid first.
    shape = _shape(layer_bytes=(10, 10, 10, 400))
    assert fit_gpu_layers(shape, 0, 400, reserve_bytes=0) == 1
    assert fit_gpu_layers(shape, 0, 450, reserve_bytes=0) == 2
    assert fit_gpu_layers(shape, 0, 480, reserve_bytes=0) == 5


def test_head_dim_defaults_to_embedding_over_heads() -> None:
    shape = _shape()
    assert shape.key_dim == shape.value_dim == 4
    # 10 tokens x 1 KV head x (4 + 4) dims x 2 bytes.
    assert kv_bytes_per_layer(shape, 10) == 160
    assert kv_bytes_per_layer(replace(shape, head_count=0), 10) == 0


# -- resolving the setting ---------------------------------------------------------


def test_an_explicit_number_is_clamped_to_what_llama_cpp_can_use(smol: ModelShape) -> None:
    assert resolve_gpu_layers(0, smol, 4096, 8 * GIB) == 0
    assert resolve_gpu_layers(12, smol, 4096, 0) == 12  # the user's choice, even without a GPU
    assert resolve_gpu_layers(31, smol, 4096, 0) == 31
    assert resolve_gpu_layers(999, smol, 4096, 0) == 31
    assert resolve_gpu_layers(-1, smol, 4096, 8 * GIB) == 0


def test_auto_fits_to_free_memory(smol: ModelShape) -> None:
    assert resolve_gpu_layers("auto", smol, 4096, 0) == 0
    assert resolve_gpu_layers("auto", smol, 4096, 8 * GIB) == 31
    free = MIN_RESERVE_BYTES + 100 * MIB
    assert resolve_gpu_layers("auto", smol, 4096, free) == fit_gpu_layers(smol, 4096, free)
    assert 0 < resolve_gpu_layers("auto", smol, 4096, free) < 31


@pytest.mark.parametrize("bad", [True, 1.5, "all", None])
def test_anything_else_is_refused(smol: ModelShape, bad: object) -> None:
    with pytest.raises(TypeError, match="gpu_layers"):
        resolve_gpu_layers(bad, smol, 4096, 0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("requested", "gpu_layers", "gpu_offload", "expected"),
    [
        (True, 33, True, True),  # layers on a GPU: "auto"
        (True, 1, True, True),  # even one offloaded layer runs attention on the GPU
        (True, 0, True, False),  # "auto" found no room, or the user chose the CPU
        (True, 33, False, False),  # a CPU-only build ignores gpu_layers
        (False, 33, True, False),  # the user turned it off
    ],
)
def test_flash_attention_is_asked_for_only_where_layers_run_on_a_gpu(
    requested: bool, gpu_layers: int, gpu_offload: bool, expected: bool
) -> None:
    assert use_flash_attention(requested, gpu_layers, gpu_offload=gpu_offload) is expected
