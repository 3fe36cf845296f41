"""Plain-text tables for the terminal (sizes and counts: nexthub.service.display)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO


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
