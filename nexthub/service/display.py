"""How sizes and counts are written for a person, the same in every face.

The terminal, the desktop app and the web GUI all show file sizes and
parameter counts; one function each keeps "98.4 MB" from reading "93.8 MiB"
in the next window over.
"""

from __future__ import annotations

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


def plural(number: int, noun: str) -> str:
    """``plural(1, "chat")`` -> ``"1 chat"``, ``plural(2, "chat")`` -> ``"2 chats"``."""
    return f"{number} {noun}{'s' * (number != 1)}"
