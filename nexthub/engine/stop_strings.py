"""Find stop strings in a stream of text without re-reading the whole answer.

A stop string can arrive split across tokens, so text that might be the start
of one is held back until the next piece decides it. Each check looks only at
the held-back tail plus the new piece, so the cost per token stays flat
however long the answer grows (llama-cpp-python's own loop re-scans the whole
text and slows down quadratically).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class ScanResult:
    """What to show now, and whether a stop string was reached."""

    text: str
    stopped: bool


class StopStringScanner:
    """Feed text pieces in; get back the text that is safe to show."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._pending = ""

    def feed(self, piece: str) -> ScanResult:
        """Add a piece; return the text before any stop string, and whether one matched."""
        if not self._stops:
            return ScanResult(piece, stopped=False)
        window = self._pending + piece
        first = min((i for i in (window.find(stop) for stop in self._stops) if i >= 0), default=-1)
        if first >= 0:
            self._pending = ""
            return ScanResult(window[:first], stopped=True)
        hold = self._longest_partial_stop_suffix(window)
        self._pending = window[len(window) - hold :] if hold else ""
        return ScanResult(window[: len(window) - hold], stopped=False)

    def flush(self) -> str:
        """At the end of the answer, the held-back text was not a stop string after all."""
        text, self._pending = self._pending, ""
        return text

    def _longest_partial_stop_suffix(self, text: str) -> int:
        """Length of the longest end of ``text`` that begins some stop string."""
        best = 0
        for stop in self._stops:
            for length in range(min(len(stop) - 1, len(text)), best, -1):
                if stop.startswith(text[-length:]):
                    best = length
                    break
        return best
