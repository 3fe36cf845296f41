"""Real GGUF files for tests that need an unusual one."""

from __future__ import annotations

import os
from pathlib import Path

import gguf
import numpy as np


def write_sparse_huge_gguf(path: Path, gib: int = 64) -> Path:
    """A valid GGUF whose header declares ``gib`` GiB of f32 weights, stored sparsely.

    The file really is that long (so it is not "truncated"), but no data is
    written, so it costs no disk space on Linux and macOS.
    """
    elements = gib * 1024**3 // 4
    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("Huge")
    writer.add_block_count(80)
    writer.add_embedding_length(8192)
    writer.add_head_count(64)
    writer.add_head_count_kv(8)
    writer.add_tensor_info("token_embd.weight", (elements,), np.dtype(np.float32), elements * 4)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    writer.close()
    header = path.stat().st_size
    data_start = header + (-header % gguf.GGUF_DEFAULT_ALIGNMENT)
    os.truncate(path, data_start + elements * 4)
    return path
