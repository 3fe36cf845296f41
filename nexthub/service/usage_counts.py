"""What the service layer counts for telemetry, turned into the registry's names and classes.

Every face reaches the engine, the models and the chats through the service
layer, so counting here counts the desktop app, the web GUI and the server
alike, and no widget or route has to know about telemetry. Only values that
could belong to anyone are passed on: a model's family from the catalog
(anything else is ``custom``), speeds and times as numbers, a worker's exit
as a kind of exit. :class:`~nexthub.telemetry.Telemetry` drops all of it
unless the user said yes.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from nexthub import __version__
from nexthub.engine import ChatEvent, ChatFinished, Engine, HardwareReport, LoadSettings
from nexthub.engine.hardware import gpu_backend_class, total_gpu_memory
from nexthub.models import ModelRegistry, load_catalog
from nexthub.telemetry import DeviceFacts, Telemetry

#: The family of a model not in the catalog (a file the user imported).
CUSTOM_FAMILY = "custom"
#: ``engine.worker_exit``'s label for each signal that can end the worker (by name: Windows
#: lacks some).
_SIGNAL_NAMES = {
    "SIGABRT": "abort",
    "SIGSEGV": "segfault",
    "SIGBUS": "segfault",
    "SIGILL": "segfault",
    "SIGFPE": "segfault",
    "SIGKILL": "killed",
    "SIGTERM": "killed",
}
_SIGNAL_KINDS: dict[int, str] = {
    int(getattr(signal, name)): kind
    for name, kind in _SIGNAL_NAMES.items()
    if hasattr(signal, name)
}
#: Windows' exit statuses for an access violation and for abort().
_WINDOWS_KINDS: dict[int, str] = {0xC0000005: "segfault", 3: "abort"}


def worker_exit_kind(code: int | None) -> str:
    """``engine.worker_exit``'s label for a worker's exit status (the status only)."""
    if code is None:
        return "other"
    if code < 0:
        return _SIGNAL_KINDS.get(-code, "other")
    if sys.platform == "win32":
        return _WINDOWS_KINDS.get(code & 0xFFFFFFFF, "other")
    return "other"


def watch_engine(engine: Engine, telemetry: Telemetry) -> None:
    """Count the worker's unexpected deaths and restarts."""
    engine.on_worker_exit = lambda code: telemetry.count(
        "engine.worker_exit", worker_exit_kind(code)
    )
    engine.on_worker_restart = lambda: telemetry.count("engine.worker_restart")


def model_family(registry: ModelRegistry, path: Path) -> str:
    """The catalog's family of the installed model at ``path``; ``custom`` for any other."""
    installed = registry.at(path)
    if installed is None or installed.catalog_id is None:
        return CUSTOM_FAMILY
    entry = load_catalog().find(installed.catalog_id)
    return CUSTOM_FAMILY if entry is None else entry.family


def count_load(
    telemetry: Telemetry,
    *,
    family: str,
    seconds: float,
    context_tokens: int,
    hardware: HardwareReport | None,
    settings: LoadSettings,
) -> None:
    """A model was loaded: its family, how long it took, its context, and the GPU it uses."""
    telemetry.count("model.loaded", family)
    telemetry.observe("perf.model_load_s", seconds)
    telemetry.observe("perf.context_tokens", context_tokens)
    if hardware is not None and settings.gpu_layers:
        telemetry.set_device(
            DeviceFacts.probe(
                __version__, gpu_backend_class(hardware), total_gpu_memory(hardware) or None
            )
        )
    else:
        telemetry.set_device(DeviceFacts.probe(__version__))


def count_answer(telemetry: Telemetry | None, events: Iterator[ChatEvent]) -> Iterator[ChatEvent]:
    """Pass ``events`` on; a completed answer's timings go into the histograms."""
    for event in events:
        if telemetry is not None and isinstance(event, ChatFinished):
            _count_timings(telemetry, event)
        yield event


def _count_timings(telemetry: Telemetry, finished: ChatFinished) -> None:
    if finished.finish_reason not in ("stop", "length"):
        return  # a cancelled or failed answer says nothing about speed
    timings = finished.timings
    telemetry.observe("perf.first_token_ms", timings.time_to_first_token_s * 1000)
    if timings.decode_tokens_per_s > 0:
        telemetry.observe("perf.decode_tokens_per_s", timings.decode_tokens_per_s)
    if timings.prompt_tokens_per_s > 0:
        telemetry.observe("perf.prompt_tokens_per_s", timings.prompt_tokens_per_s)
