"""Fixtures for the chat database's integration tests: a key, the file, a small filesystem."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.small_disk import SmallDisk, small_disk_under


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A 2 MiB tmpfs (root only): a disk that fills up, or turns read-only."""
    with small_disk_under(tmp_path) as disk:
        yield disk
