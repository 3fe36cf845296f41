"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

_WIDTH = 30


class ProgressLine:
    """Redraws ``label [#####.....] 42%`` in place; silent when not on a terminal."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream or sys.stderr
        self._enabled = self._stream.isatty()
        self._last = -1

    def update(self, fraction: float, detail: str = "") -> None:
        """Show progress from 0.0 to 1.0, redrawing only when the percentage changes."""
        percent = max(0, min(100, int(fraction * 100)))
        if not self._enabled or percent == self._last:
            return
        self._last = percent
        filled = percent * _WIDTH // 100
        bar = "#" * filled + "." * (_WIDTH - filled)
        self._stream.write(f"\r{self._label} [{bar}] {percent:3d}% {detail}")
        self._stream.flush()

    def done(self) -> None:
        """End the line."""
        if self._enabled and self._last >= 0:
            self._stream.write("\n")
            self._stream.flush()
