"""Fixtures for the chat database's integration tests: a key, the file, a small filesystem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_db_disks import SmallDisk, mount


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 2 MiB tmpfs (root only): a disk that fills up, or turns read-only."""
    where = tmp_path / "small-disk"
    where.mkdir()
    size = "2m"
    problem = mount(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)])
    if problem is not None:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {problem}")
    try:
        yield SmallDisk(where, size)
    finally:
        mount(["umount", "-l", str(where)])
