"""A small tmpfs for the disk-trouble tests: one that fills up, or turns read-only.

Mounting needs root (CI runs as root); elsewhere the tests that need a real
full disk are skipped with the reason, since no fake can stand in for one.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Small enough to fill in milliseconds, big enough for an empty store.
SIZE = "2m"


def mount(args: list[str]) -> str | None:
    """Run mount/umount; the reason it failed, or None."""
    tool = shutil.which(args[0])
    if tool is None:
        return f"{args[0]} is not installed"
    result = subprocess.run([tool, *args[1:]], capture_output=True, text=True, check=False)
    return None if result.returncode == 0 else (result.stderr.strip() or "failed")


class SmallDisk:
    """A small tmpfs mounted for one test, that can be made read-only."""

    def __init__(self, where: Path, size: str) -> None:
        self.where = where
        self.size = size

    def remount(self, *options: str) -> None:
        problem = mount(["mount", "-o", ",".join(["remount", *options]), str(self.where)])
        assert problem is None, problem


@contextlib.contextmanager
def small_disk_under(parent: Path) -> Iterator[SmallDisk]:
    """Mount a 2 MiB tmpfs at ``parent/small-disk`` for the block; skip the test if not root."""
    where = parent / "small-disk"
    where.mkdir()
    problem = mount(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(where)])
    if problem is not None:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {problem}")
    try:
        yield SmallDisk(where, SIZE)
    finally:
        mount(["umount", "-l", str(where)])


def fill_up(folder: Path) -> Path:
    """Take every free byte of the filesystem with one file; return it."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as file:
        for size in (65536, 4096, 1):
            with contextlib.suppress(OSError):
                while file.write(b"\0" * size) == size:
                    pass
    return filler
