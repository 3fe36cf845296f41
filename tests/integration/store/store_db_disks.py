"""A small tmpfs for the disk-trouble tests: one that fills up, or turns read-only."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


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
