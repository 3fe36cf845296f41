"""inspect_gguf: what a user sees for a good file and for each kind of bad one."""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import gguf
import pytest

from nexthub.errors import NextHubError
from nexthub.models import (
    CorruptModelError,
    InvalidModelError,
    ModelFileNotFoundError,
    NotGgufError,
    TruncatedModelError,
    UnsupportedArchitectureError,
    UnsupportedGgufVersionError,
    inspect_gguf,
)

WriteGguf = Callable[..., Path]
PROC_MAPS = Path("/proc/self/maps")


def is_mapped(path: Path) -> bool:
    """Whether this process still has ``path`` memory-mapped (Linux only)."""
    return str(path.resolve()) in PROC_MAPS.read_text(encoding="utf-8", errors="replace")


# -- Good files -----------------------------------------------------------------------------


def test_the_starter_model_is_described_correctly(starter_path: Path) -> None:
    info = inspect_gguf(starter_path)

    assert info.architecture == "llama"
    assert 130_000_000 < info.parameter_count < 140_000_000
    assert info.quantisation == "Q4_1"
    assert info.has_chat_template
    assert info.context_length == 8192
    assert info.layer_count == 30
    assert (info.embedding_length, info.head_count, info.head_count_kv) == (576, 9, 3)
    assert info.file_size == starter_path.stat().st_size
    assert 0 < info.tensor_bytes < info.file_size


def test_a_written_file_reports_what_was_written(make_gguf: WriteGguf) -> None:
    path = make_gguf(name="My Model", file_type=int(gguf.LlamaFileType.MOSTLY_F16))

    info = inspect_gguf(path)

    assert info.name == "My Model"
    assert info.parameter_count == 16 * 32 + 64
    assert info.tensor_bytes == 16 * 32 * 4 + 64 * 2
    assert info.quantisation == "F16"
    assert (info.context_length, info.layer_count, info.head_count_kv) == (512, 2, 2)
    assert info.has_chat_template


def test_without_a_file_type_the_dominant_tensor_type_is_reported(make_gguf: WriteGguf) -> None:
    info = inspect_gguf(make_gguf(file_type=None, chat_template=None, name=None))

    assert info.quantisation == "F32"  # the f32 tensor holds most of the bytes
    assert not info.has_chat_template
    assert info.name is None


# -- Files that are not there or not GGUF ---------------------------------------------------


def test_a_missing_file_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.gguf"

    with pytest.raises(ModelFileNotFoundError, match="There is no file at") as caught:
        inspect_gguf(missing)

    assert str(missing) in str(caught.value)
    assert isinstance(caught.value, NextHubError)


def test_a_folder_is_not_a_model_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileNotFoundError, match="is a folder"):
        inspect_gguf(tmp_path)


def test_a_text_file_is_not_a_gguf(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("These are my notes, not a model.\n", encoding="utf-8")

    with pytest.raises(NotGgufError, match="not a GGUF model file") as caught:
        inspect_gguf(notes)

    assert "GGUF format" in str(caught.value)  # says what a GGUF is


def test_a_file_with_another_magic_is_not_a_gguf(tmp_path: Path) -> None:
    ggml = tmp_path / "old-model.bin"
    ggml.write_bytes(b"ggjt" + bytes(100))

    with pytest.raises(NotGgufError, match="does not start with 'GGUF'"):
        inspect_gguf(ggml)


def test_an_empty_file_says_it_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.gguf"
    empty.touch()

    with pytest.raises(NotGgufError, match="is empty"):
        inspect_gguf(empty)


# -- Truncated and damaged GGUFs ------------------------------------------------------------


@pytest.mark.parametrize("keep", [6, 40, 200])
def test_a_gguf_cut_inside_its_header_is_reported_as_incomplete(
    make_gguf: WriteGguf, keep: int
) -> None:
    path = make_gguf()
    path.write_bytes(path.read_bytes()[:keep])

    with pytest.raises(TruncatedModelError, match="incomplete") as caught:
        inspect_gguf(path)

    assert "its header" in str(caught.value)
    assert "again" in str(caught.value)  # tells the user what to do


def test_a_gguf_cut_inside_its_tensor_data_is_reported_as_incomplete(
    make_gguf: WriteGguf,
) -> None:
    path = make_gguf()
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 100])

    with pytest.raises(TruncatedModelError, match="its tensor data"):
        inspect_gguf(path)


def test_a_gguf_with_an_unknown_architecture_is_refused_by_name(make_gguf: WriteGguf) -> None:
    path = make_gguf(arch="frobnicator")

    with pytest.raises(UnsupportedArchitectureError) as caught:
        inspect_gguf(path)

    message = str(caught.value)
    assert "'frobnicator'" in message
    assert "does not support" in message


@pytest.mark.parametrize(("version", "advice"), [(99, "newer"), (1, "old")])
def test_an_unsupported_gguf_version_is_refused(
    make_gguf: WriteGguf, version: int, advice: str
) -> None:
    path = make_gguf()
    data = bytearray(path.read_bytes())
    data[4:8] = struct.pack("<I", version)
    path.write_bytes(bytes(data))

    with pytest.raises(UnsupportedGgufVersionError, match=f"version {version}") as caught:
        inspect_gguf(path)

    assert advice in str(caught.value)


def test_a_gguf_without_an_architecture_is_refused(make_gguf: WriteGguf) -> None:
    path = make_gguf()
    data = path.read_bytes().replace(b"general.architecture", b"general.architecturX")
    path.write_bytes(data)

    with pytest.raises(CorruptModelError, match="without a model architecture"):
        inspect_gguf(path)


def test_a_gguf_with_a_damaged_value_type_is_refused(make_gguf: WriteGguf) -> None:
    path = make_gguf()
    data = bytearray(path.read_bytes())
    key = b"general.architecture"
    type_at = data.index(key) + len(key)  # the key is followed by its value type (uint32)
    data[type_at : type_at + 4] = struct.pack("<I", 77)
    path.write_bytes(bytes(data))

    with pytest.raises(CorruptModelError, match="damaged GGUF header"):
        inspect_gguf(path)


def test_every_refusal_is_an_invalid_model_error(tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")

    with pytest.raises(InvalidModelError):
        inspect_gguf(tmp_path / "x.txt")


# -- The file is not kept open ----------------------------------------------------------------


@pytest.mark.skipif(not PROC_MAPS.exists(), reason="reads /proc/self/maps (Linux)")
def test_the_file_is_not_left_mapped_after_reading(make_gguf: WriteGguf) -> None:
    path = make_gguf()

    inspect_gguf(path)

    assert not is_mapped(path)


@pytest.mark.skipif(not PROC_MAPS.exists(), reason="reads /proc/self/maps (Linux)")
def test_the_file_is_not_left_mapped_after_an_error(make_gguf: WriteGguf) -> None:
    truncated = make_gguf("cut.gguf")
    whole = truncated.read_bytes()
    truncated.write_bytes(whole[: len(whole) - 100])
    unknown = make_gguf("unknown.gguf", arch="frobnicator")

    for path in (truncated, unknown):
        with pytest.raises(InvalidModelError):
            inspect_gguf(path)
        assert not is_mapped(path)


def test_a_refused_file_can_be_deleted_at_once(make_gguf: WriteGguf) -> None:
    path = make_gguf(arch="frobnicator")
    with pytest.raises(UnsupportedArchitectureError):
        inspect_gguf(path)

    path.unlink()  # would fail on Windows if the file were still mapped

    assert not path.exists()
