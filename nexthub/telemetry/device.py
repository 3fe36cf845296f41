"""Coarse device classes: OS family, CPU architecture, RAM, GPU backend, VRAM, app X.Y.

Only classes shared by many computers are reported, never a model name or an
exact size. The caller passes what only the rest of the app knows (the app's
version, the GPU backend and its memory, from the engine); the OS, the
architecture and the RAM are read here.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass

import psutil

from nexthub.telemetry.registry import APP_VERSION_DIMENSION, Registry, default_registry

_OS_NAMES = {"linux": "linux", "darwin": "macos", "windows": "windows"}
_ARCH_NAMES = {"x86_64": "x86_64", "amd64": "x86_64", "arm64": "arm64", "aarch64": "arm64"}
_VERSION = re.compile(r"^(\d{1,3})\.(\d{1,3})(?:\D|$)")
APP_VERSION_PATTERN = re.compile(r"^\d{1,3}\.\d{1,3}$")
UNKNOWN_VERSION = "0.0"


@dataclass(frozen=True)
class DeviceFacts:
    """What the caller knows of the machine, before it is cut down to classes."""

    app_version: str
    os_name: str
    machine: str
    ram_bytes: int
    gpu_backend: str = "cpu"
    vram_bytes: int | None = None

    @classmethod
    def probe(
        cls, app_version: str, gpu_backend: str = "cpu", vram_bytes: int | None = None
    ) -> DeviceFacts:
        """This machine's OS, architecture and RAM, with the caller's GPU facts."""
        return cls(
            app_version=app_version,
            os_name=platform.system(),
            machine=platform.machine(),
            ram_bytes=int(psutil.virtual_memory().total),
            gpu_backend=gpu_backend,
            vram_bytes=vram_bytes,
        )


def device_classes(facts: DeviceFacts, registry: Registry | None = None) -> dict[str, str]:
    """The report's ``device`` section: every dimension of the registry, as a class."""
    reg = registry or default_registry()
    raw = {
        "os": _OS_NAMES.get(facts.os_name.lower(), "other"),
        "arch": _ARCH_NAMES.get(facts.machine.lower(), "other"),
        "gpu": facts.gpu_backend.lower(),
    }
    sizes = {"ram": facts.ram_bytes, "vram": facts.vram_bytes}
    classes: dict[str, str] = {}
    for dimension in reg.device:
        if dimension.name == APP_VERSION_DIMENSION:
            classes[dimension.name] = app_version_class(facts.app_version)
        elif dimension.edges_gib:
            classes[dimension.name] = dimension.size_class(sizes.get(dimension.name))
        else:
            value = raw.get(dimension.name, "other")
            classes[dimension.name] = value if value in dimension.labels else "other"
    return classes


def app_version_class(version: str) -> str:
    """``0.4.1`` -> ``0.4``; anything not starting with digits.digits -> ``0.0``."""
    match = _VERSION.match(version)
    if not match:
        return UNKNOWN_VERSION
    return f"{int(match[1])}.{int(match[2])}"
