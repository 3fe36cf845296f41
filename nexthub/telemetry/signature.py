"""Crash signatures: an exception's type and its innermost frames, nothing else.

Only the exception's class and each frame's module and function name are
read; never its message, arguments, locals, file path or line number. A class
is named when it is a Python built-in or NextHub's own; a frame when it is
NextHub's own code (see :mod:`own_code`). Everything else is ``__other__`` or
``<external>``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from types import TracebackType

from nexthub.telemetry.own_code import own_code_names
from nexthub.telemetry.registry import OTHER

EXTERNAL = "<external>"

Signature = tuple[str, tuple[str, ...]]


def crash_signature(exc: BaseException, max_frames: int) -> Signature:
    """The exception's type label and up to ``max_frames`` innermost frame names."""
    names = own_code_names()
    frames: list[str] = []
    for module, qualname in _frames(exc.__traceback__):
        name = f"{module}:{qualname}"
        label = name if name in names else EXTERNAL
        if not (label == EXTERNAL and frames and frames[-1] == EXTERNAL):
            frames.append(label)
    return exception_type_label(type(exc)), tuple(frames[-max_frames:])


def exception_type_label(kind: type[BaseException]) -> str:
    """``ValueError`` for a built-in, ``module:Class`` for NextHub's own, else ``__other__``."""
    name: str = kind.__name__
    if getattr(builtins, name, None) is kind:
        return name
    qualified = f"{kind.__module__}:{kind.__qualname__}"
    return qualified if qualified in own_code_names() else OTHER


def _frames(tb: TracebackType | None) -> Iterator[tuple[str, str]]:
    """Each frame's module and qualified function name, outermost first."""
    while tb is not None:
        frame = tb.tb_frame
        module = frame.f_globals.get("__name__")
        yield (module if isinstance(module, str) else "?"), frame.f_code.co_qualname
        tb = tb.tb_next
