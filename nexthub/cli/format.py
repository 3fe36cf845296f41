"""Plain-text formatting for the terminal: sizes, counts, aligned tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

_UNITS = ("B", "KB", "MB", "GB", "TB")


def human_bytes(size: int) -> str:
    """``123456789`` -> ``"123.5 MB"`` (decimal units, as file managers show)."""
    value = float(size)
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def human_count(count: int) -> str:
    """``134515008`` -> ``"134.5M"``."""
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if count >= threshold:
            return f"{count / threshold:.1f}{suffix}"
    return str(count)


def print_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    header: bool = True,
    out: TextIO | None = None,
) -> None:
    """Left-aligned columns separated by two spaces."""
    stream = out or sys.stdout
    lines = [list(headers), *rows] if header else [list(r) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(headers))]
    for line in lines:
        stream.write(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )
        stream.write("\n")
