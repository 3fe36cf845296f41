"""What this machine can run models on.

Two layers, because they are safe in different processes:

- :func:`read_system_facts`, :func:`default_threads`, :func:`default_batch_threads`
  read what Python sees without llama.cpp (cores, RAM, OS, CPU model). They
  are cheap and safe in the app's own process.
- :func:`probe_llama_hardware` asks llama.cpp what *it* sees: the CPU features
  it was built for and the compute devices of its ggml backends with their
  free memory. It loads llama.cpp's shared libraries and, on a GPU build,
  initialises the GPU driver (reading CUDA free memory creates a CUDA
  context), so it belongs in the engine's worker process only.

Nothing here probes anything at import time; every fact is read when asked.
"""

from __future__ import annotations

import ctypes
import logging
import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import psutil

from nexthub.engine.types import DeviceInfo, HardwareReport

log = logging.getLogger(__name__)

OsFamily = Literal["linux", "macos", "windows", "other"]
BackendClass = Literal["cpu", "cuda", "metal", "vulkan", "other"]
DeviceKind = Literal["cpu", "gpu", "igpu", "accel", "other"]


# -- what Python can read ------------------------------------------------------


@dataclass(frozen=True)
class SystemFacts:
    """The machine as Python sees it, without llama.cpp."""

    os_family: OsFamily
    #: Normalised machine architecture: ``x86_64``, ``arm64``, or what the OS says.
    architecture: str
    #: The CPU's marketing name, or "" where it cannot be read.
    cpu_model: str
    physical_cores: int
    logical_cores: int
    ram_total_bytes: int
    ram_available_bytes: int


def read_system_facts() -> SystemFacts:
    """Read cores, memory, OS and CPU model now."""
    memory = psutil.virtual_memory()
    return SystemFacts(
        os_family=os_family(),
        architecture=cpu_architecture(),
        cpu_model=cpu_model_name(),
        physical_cores=physical_cores(),
        logical_cores=logical_cores(),
        ram_total_bytes=int(memory.total),
        ram_available_bytes=int(memory.available),
    )


def os_family() -> OsFamily:
    """The operating system family, from ``sys.platform``."""
    if sys.platform.startswith("linux"):
        return "linux"
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    return "other"


_ARCH_ALIASES = {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}


def cpu_architecture() -> str:
    """``platform.machine()`` with the OSes' spellings unified (AMD64 is x86_64, aarch64 arm64)."""
    machine = platform.machine()
    return _ARCH_ALIASES.get(machine.lower(), machine.lower())


def logical_cores() -> int:
    """Logical cores this process may run on (hardware threads).

    Bounded by the process's CPU affinity where the OS has one, so a
    container or ``taskset`` limited to 4 of 64 cores does not get 64 threads.
    """
    count = psutil.cpu_count(logical=True) or os.cpu_count() or 1
    allowed = _affinity_count()
    return max(1, min(count, allowed) if allowed else count)


def physical_cores() -> int:
    """Physical cores this process may use: at least 1, at most :func:`logical_cores`.

    psutil cannot always tell (it returns None on some VMs and ARM boards);
    then the logical count is the best guess.
    """
    logical = logical_cores()
    physical = psutil.cpu_count(logical=False)
    if not physical:
        return logical
    return max(1, min(physical, logical))


def _affinity_count() -> int | None:
    """How many CPUs the process is allowed on, where the OS says."""
    if hasattr(os, "sched_getaffinity"):
        try:
            return len(os.sched_getaffinity(0))
        except OSError:
            return None
    return None


def default_threads() -> int:
    """Threads for generating tokens: one per physical core.

    Token generation is memory-bound; a second hyper-thread per core adds
    contention, not speed (llama.cpp's own advice).
    """
    return physical_cores()


def default_batch_threads() -> int:
    """Threads for evaluating the prompt: one per logical core.

    Prompt evaluation is compute-bound matrix work that does use hyper-threads.
    """
    return logical_cores()


def cpu_model_name() -> str:
    """The CPU's name, e.g. "AMD Ryzen 7 7840U", or "" where it cannot be read."""
    try:
        if sys.platform == "darwin":
            return _run_quiet(["sysctl", "-n", "machdep.cpu.brand_string"])
        if sys.platform == "win32":
            return _windows_cpu_name()
        if sys.platform.startswith("linux"):
            return _linux_cpu_name(Path("/proc/cpuinfo"))
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        pass
    return platform.processor().strip()


def _linux_cpu_name(cpuinfo: Path) -> str:
    """First "model name" (x86, most ARM kernels), else "Hardware"/"Model" (some ARM boards)."""
    fallback = ""
    for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key = key.strip().lower()
        if key == "model name" and value.strip():
            return value.strip()
        if key in ("hardware", "model") and value.strip() and not fallback:
            fallback = value.strip()
    return fallback


def _windows_cpu_name() -> str:
    """The name Windows shows in Task Manager, from the registry."""
    if sys.platform != "win32":  # narrows for mypy; callers already checked
        return ""
    import winreg

    with winreg.OpenKey(
        winreg.HKEY_LOCAL_MACHINE, r"HARDWARE\DESCRIPTION\System\CentralProcessor\0"
    ) as key:
        value, _ = winreg.QueryValueEx(key, "ProcessorNameString")
    return str(value).strip()


def _run_quiet(argv: list[str]) -> str:
    """Run a short system command and return its stripped output."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=5, check=True)
    return result.stdout.strip()


# -- what llama.cpp sees (worker process only) -------------------------------------

#: ``enum ggml_backend_dev_type`` in ggml-backend.h, in order.
_DEVICE_KINDS: tuple[DeviceKind, ...] = ("cpu", "gpu", "igpu", "accel", "other")

_BACKEND_CLASSES: dict[str, BackendClass] = {
    "cpu": "cpu",
    "cuda": "cuda",
    "metal": "metal",
    "vulkan": "vulkan",
}

_FEATURE = re.compile(r"^\s*([A-Za-z0-9_]+)\s*=\s*(.*?)\s*$")


def probe_llama_hardware() -> HardwareReport:
    """Ask llama.cpp what it can run on.

    Meant for the engine's worker process: it imports llama_cpp (loading its
    shared libraries), initialises the backends and, on GPU builds, the GPU
    driver. The ggml device list comes through ctypes because llama-cpp-python
    does not bind ``ggml_backend_dev_*``; if a symbol or library is missing
    the report has what could be read (possibly no devices) and a warning
    is logged saying what was left out.
    """
    import llama_cpp

    llama_cpp.llama_backend_init()
    lib_dir = _llama_lib_dir(llama_cpp)
    ggml = _GgmlDevices.open(lib_dir, getattr(llama_cpp.llama_cpp, "_lib", None))
    devices: tuple[DeviceInfo, ...] = ()
    if ggml is not None:
        ggml.ensure_backends_loaded(lib_dir)
        devices = ggml.devices()

    system_info = _decode(llama_cpp.llama_print_system_info())
    features = parse_system_info(system_info)
    gpu_backends = _gpu_backend_names(devices)
    if not gpu_backends and _supports_gpu_offload(llama_cpp):
        # The build can offload but its devices could not be listed: name the
        # non-CPU backends that report features, so the report is not "CPU only".
        log.warning("llama.cpp supports GPU offload but no GPU device could be listed")
        gpu_backends = tuple(
            _device_backend(name) for name in features if name.upper() not in ("CPU", "BLAS")
        ) or ("unknown",)
    return HardwareReport(
        cpu_features=cpu_features(features),
        gpu_backends=gpu_backends,
        devices=devices,
        system_info=system_info,
    )


def parse_system_info(text: str) -> dict[str, dict[str, str]]:
    """Split ``llama_print_system_info()`` into ``{backend: {feature: value}}``.

    Its format is ``"CPU : SSE3 = 1 | AVX2 = 1 | CUDA : ARCHS = 890 | ..."``:
    a backend name and " : " open each section, " | " separates features.
    """
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for item in text.split("|"):
        head, sep, rest = item.partition(" : ")
        if sep:
            current = sections.setdefault(head.strip(), {})
        match = _FEATURE.match(rest if sep else item)
        if match and current is not None:
            current[match.group(1)] = match.group(2)
    return sections


def cpu_features(sections: dict[str, dict[str, str]]) -> tuple[str, ...]:
    """The CPU backend's features that are on (``NAME = 1``), e.g. ``("SSE3", "AVX2")``."""
    cpu = next((s for name, s in sections.items() if name.upper() == "CPU"), {})
    return tuple(name for name, value in cpu.items() if value == "1")


def backend_class(backend_name: str) -> BackendClass:
    """Group a ggml backend registry name ("CUDA", "Metal", "Vulkan", "ROCm", ...)."""
    return _BACKEND_CLASSES.get(backend_name.strip().lower(), "other")


def gpu_backend_class(report: HardwareReport) -> BackendClass:
    """The backend llama.cpp will offload to: ``cpu`` when there is no GPU."""
    gpus = _offload_devices(report.devices)
    if gpus:
        return backend_class(gpus[0].backend)
    if report.gpu_backends:
        return backend_class(report.gpu_backends[0])
    return "cpu"


def free_gpu_memory(report: HardwareReport) -> int:
    """Free bytes on the GPUs llama.cpp will offload to; 0 on a CPU-only machine.

    Mirrors llama.cpp's device choice: discrete GPUs if there are any, else
    the integrated GPUs of the first such backend. A device of one backend
    whose description and total memory repeat a device of another backend
    already counted is taken to be the same card seen twice (a build with
    both CUDA and Vulkan) and is not counted again; two identical cards of
    the same backend both count.
    """
    return sum(max(d.memory_free_bytes, 0) for d in _offload_cards(report))


def total_gpu_memory(report: HardwareReport) -> int:
    """Total bytes of the GPUs llama.cpp will offload to (as :func:`free_gpu_memory` counts)."""
    return sum(max(d.memory_total_bytes, 0) for d in _offload_cards(report))


def _offload_cards(report: HardwareReport) -> list[DeviceInfo]:
    """The offload devices, each card once (see :func:`free_gpu_memory`)."""
    counted: list[DeviceInfo] = []
    for device in _offload_devices(report.devices):
        if not any(_same_card_other_backend(device, other) for other in counted):
            counted.append(device)
    return counted


def _same_card_other_backend(a: DeviceInfo, b: DeviceInfo) -> bool:
    return (
        a.backend != b.backend
        and a.description == b.description
        and a.memory_total_bytes == b.memory_total_bytes
    )


def _offload_devices(devices: Iterable[DeviceInfo]) -> list[DeviceInfo]:
    """The devices llama.cpp offloads layers to by default (``llama_model_load``)."""
    listed = list(devices)
    gpus = [d for d in listed if d.kind == "gpu" and d.backend != "rpc"]
    if gpus:
        return gpus
    igpus = [d for d in listed if d.kind == "igpu"]
    return [d for d in igpus if d.backend == igpus[0].backend]


def _gpu_backend_names(devices: Iterable[DeviceInfo]) -> tuple[str, ...]:
    """Backends of the GPU devices llama.cpp would offload to, in order, without repeats."""
    names: list[str] = []
    for device in _offload_devices(devices):
        if device.backend not in names:
            names.append(device.backend)
    return tuple(names)


def _supports_gpu_offload(llama_cpp: Any) -> bool:
    """``llama_supports_gpu_offload()``, False where the binding lacks it."""
    func = getattr(llama_cpp, "llama_supports_gpu_offload", None)
    return bool(func()) if callable(func) else False


def _decode(raw: object) -> str:
    """A C string from llama-cpp-python (bytes) as text."""
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return "" if raw is None else str(raw)


def _llama_lib_dir(llama_cpp: Any) -> Path:
    """The folder llama_cpp loaded its shared libraries from (mirrors llama_cpp.llama_cpp)."""
    override = os.environ.get("LLAMA_CPP_LIB_PATH")
    if override:
        return Path(override)
    return Path(llama_cpp.__file__).resolve().parent / "lib"


def _library_candidates(lib_dir: Path, base: str) -> list[Path]:
    """Files that may hold ``base`` in llama_cpp's lib folder, the one libllama names first.

    Wheels cannot hold symlinks, so ``libggml.so``, ``libggml.so.0`` and
    ``libggml.so.0.25.3`` are three copies; libllama loads the soname
    (``libggml.so.0``), and loading another copy would give the process a
    second, separate ggml registry.
    """
    if sys.platform == "win32":
        return [lib_dir / f"{base}.dll", lib_dir / f"lib{base}.dll"]
    if sys.platform == "darwin":
        versioned = sorted(lib_dir.glob(f"lib{base}.*.dylib"), key=lambda p: len(p.name))
        return [*versioned, lib_dir / f"lib{base}.dylib", lib_dir / f"lib{base}.so"]
    versioned = sorted(lib_dir.glob(f"lib{base}.so.*"), key=lambda p: len(p.name))
    return [*versioned, lib_dir / f"lib{base}.so"]


class _GgmlDevices:
    """ctypes access to ggml's device registry (``ggml-backend.h``).

    The functions must come from the ggml that libllama itself uses, or the
    registry read is not the one llama.cpp loads models with. On Linux and
    macOS, looking the symbols up through libllama's own handle does that:
    ``dlsym`` on a handle also searches the libraries it was linked against.
    On Windows (``GetProcAddress`` searches one DLL only) ggml.dll is
    loaded by name, which returns the module already in the process.
    """

    def __init__(self, lib: Any) -> None:
        """Bind the functions of ``lib``: a ``ctypes.CDLL``, or anything indexed by symbol name."""
        self._lib = lib
        self._missing: list[str] = []
        vp, sz, cs = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p
        self.reg_count = self._bind("ggml_backend_reg_count", sz, [])
        self.dev_count = self._bind("ggml_backend_dev_count", sz, [])
        self.dev_get = self._bind("ggml_backend_dev_get", vp, [sz])
        self.dev_name = self._bind("ggml_backend_dev_name", cs, [vp])
        self.dev_description = self._bind("ggml_backend_dev_description", cs, [vp])
        self.dev_type = self._bind("ggml_backend_dev_type", ctypes.c_int, [vp])
        self.dev_memory = self._bind(
            "ggml_backend_dev_memory", None, [vp, ctypes.POINTER(sz), ctypes.POINTER(sz)]
        )
        self.dev_backend_reg = self._bind("ggml_backend_dev_backend_reg", vp, [vp])
        self.reg_name = self._bind("ggml_backend_reg_name", cs, [vp])
        self.load_all_from_path = self._bind("ggml_backend_load_all_from_path", None, [cs])
        if self._missing:
            log.warning(
                "ggml library lacks %s; the hardware report leaves out what they read",
                ", ".join(self._missing),
            )

    @classmethod
    def open(cls, lib_dir: Path, linked: object = None) -> _GgmlDevices | None:
        """The ggml functions through ``linked`` (libllama's handle) or from lib_dir's files.

        None, with a warning, when neither has them.
        """
        if linked is not None and sys.platform != "win32" and _has_symbol(linked):
            return cls(linked)
        for base in ("ggml", "ggml-base"):
            for path in _library_candidates(lib_dir, base):
                if not path.exists():
                    continue
                try:
                    return cls(ctypes.CDLL(str(path)))
                except OSError as exc:
                    log.warning("could not load %s: %s", path, exc)
        log.warning("no ggml library in %s; the hardware report lists no devices", lib_dir)
        return None

    def _bind(self, symbol: str, restype: Any, argtypes: list[Any]) -> Callable[..., Any] | None:
        """Declare one C function's signature; None (and noted) if the library lacks it.

        ``lib[symbol]`` makes a fresh function object, where ``lib.symbol``
        would share (and retype) the one cached on libllama's handle.
        """
        try:
            func = self._lib[symbol]
        except AttributeError:
            self._missing.append(symbol)
            return None
        func.restype = restype
        func.argtypes = argtypes
        bound: Callable[..., Any] = func
        return bound

    def ensure_backends_loaded(self, lib_dir: Path) -> None:
        """Load dynamic backends from llama_cpp's lib folder if none are registered yet.

        ``llama_backend_init`` already calls ``ggml_backend_load_all``, which is
        all a build with backends compiled in needs. A ``GGML_BACKEND_DL``
        build, though, searches only next to the executable (python) and the
        current folder, so it would find nothing; here it is pointed at the
        folder the backend libraries were installed in.
        """
        if self.reg_count is None or self.reg_count() > 0 or self.load_all_from_path is None:
            return
        log.info("no ggml backends registered; loading them from %s", lib_dir)
        self.load_all_from_path(str(lib_dir).encode())

    def devices(self) -> tuple[DeviceInfo, ...]:
        """Every device in ggml's registry, with its memory as the backend reports it."""
        if self.dev_count is None or self.dev_get is None:
            return ()
        found = []
        for index in range(int(self.dev_count())):
            dev = self.dev_get(index)
            if dev:
                found.append(self._device(dev))
        return tuple(found)

    def _device(self, dev: int) -> DeviceInfo:
        """One device; fields whose function is missing read as unknown/0."""
        name = _decode(self.dev_name(dev)) if self.dev_name else ""
        description = _decode(self.dev_description(dev)) if self.dev_description else ""
        kind: DeviceKind = "other"
        if self.dev_type is not None:
            index = int(self.dev_type(dev))
            kind = _DEVICE_KINDS[index] if 0 <= index < len(_DEVICE_KINDS) else "other"
        backend_name = name
        if self.dev_backend_reg is not None and self.reg_name is not None:
            reg = self.dev_backend_reg(dev)
            if reg:
                backend_name = _decode(self.reg_name(reg))
        free, total = ctypes.c_size_t(0), ctypes.c_size_t(0)
        if self.dev_memory is not None:
            self.dev_memory(dev, ctypes.byref(free), ctypes.byref(total))
        return DeviceInfo(
            name=name,
            description=description,
            kind=kind,
            backend=_device_backend(backend_name),
            memory_free_bytes=int(free.value),
            memory_total_bytes=int(total.value),
        )


def _has_symbol(lib: Any, symbol: str = "ggml_backend_dev_count") -> bool:
    try:
        lib[symbol]
    except (AttributeError, TypeError, KeyError):
        return False
    return True


def _device_backend(registry_name: str) -> str:
    """``DeviceInfo.backend``: the backend class, or the registry name lower-cased if unknown.

    Keeping "rocm", "sycl", "rpc" rather than a bare "other" tells the user
    more and lets :func:`free_gpu_memory` skip remote (RPC) devices.
    """
    cls = backend_class(registry_name)
    return cls if cls != "other" else registry_name.strip().lower() or "other"
