"""Hardware facts: what Python reads, what llama.cpp reports, and how they are summed up.

There is no GPU on the machines these tests run on (CI has none either): GPU
reports are built by hand, and the real llama.cpp probe must say "cpu".
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pickle
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import psutil
import pytest

from nexthub.engine import hardware
from nexthub.engine.hardware import (
    backend_class,
    cpu_features,
    default_batch_threads,
    default_threads,
    free_gpu_memory,
    gpu_backend_class,
    parse_system_info,
    read_system_facts,
)
from nexthub.engine.types import DeviceInfo, HardwareReport

GIB = 1024**3


# -- facts Python reads -------------------------------------------------------------


def test_system_facts_are_plausible() -> None:
    facts = read_system_facts()
    assert 1 <= facts.physical_cores <= facts.logical_cores
    assert 0 < facts.ram_available_bytes <= facts.ram_total_bytes
    expected_os = {"linux": "linux", "darwin": "macos", "win32": "windows"}
    assert facts.os_family == expected_os.get(sys.platform, "other")
    assert facts.architecture in ("x86_64", "arm64", platform.machine().lower())


def test_thread_defaults_are_physical_and_logical_cores() -> None:
    assert default_threads() == read_system_facts().physical_cores >= 1
    assert default_batch_threads() == read_system_facts().logical_cores >= default_threads()


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity"), reason="no CPU affinity on this OS")
def test_thread_defaults_respect_cpu_affinity(monkeypatch: pytest.MonkeyPatch) -> None:
    # A container or taskset that allows one CPU must not get a thread per host core.
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0})
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 64 if logical else 32)
    assert default_batch_threads() == 1
    assert default_threads() == 1


def test_unknown_physical_cores_fall_back_to_logical(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hardware, "_affinity_count", lambda: None)
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8 if logical else None)
    assert default_threads() == 8
    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8 if logical else 4)
    assert default_threads() == 4
    assert default_batch_threads() == 8


def test_linux_cpu_name_from_cpuinfo(tmp_path: Path) -> None:
    x86 = tmp_path / "x86"
    x86.write_text(
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel\t\t: 116\n"
        "model name\t: AMD Ryzen 7 7840U w/ Radeon  780M Graphics\n\nprocessor\t: 1\n"
    )
    assert hardware._linux_cpu_name(x86) == "AMD Ryzen 7 7840U w/ Radeon  780M Graphics"
    arm = tmp_path / "arm"
    arm.write_text("processor\t: 0\nBogoMIPS\t: 108.00\n\nHardware\t: BCM2835\nModel\t: Pi 4\n")
    assert hardware._linux_cpu_name(arm) == "BCM2835"


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists(), reason="Linux only")
def test_cpu_model_name_reads_proc_cpuinfo_on_linux() -> None:
    names = [
        line.split(":", 1)[1].strip()
        for line in Path("/proc/cpuinfo").read_text().splitlines()
        if line.startswith("model name")
    ]
    if not names:
        pytest.skip("this kernel's /proc/cpuinfo has no model name")
    assert read_system_facts().cpu_model == names[0]


def test_importing_the_module_probes_nothing() -> None:
    # No psutil calls, no llama.cpp, no subprocess until a function is called.
    code = textwrap.dedent(
        """
        import subprocess, sys
        import psutil

        def refuse(*args, **kwargs):
            raise AssertionError("probed at import time")

        psutil.cpu_count = psutil.virtual_memory = subprocess.run = refuse
        import nexthub.engine.hardware
        assert "llama_cpp" not in sys.modules, "llama_cpp imported"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# -- llama.cpp's system info -----------------------------------------------------------

SYSTEM_INFO = (
    "CPU : SSE3 = 1 | SSSE3 = 1 | AVX = 1 | AVX2 = 1 | F16C = 1 | FMA = 1 | AVX512 = 0 | "
    "LLAMAFILE = 1 | OPENMP = 1 | REPACK = 1 | "
    "CUDA : ARCHS = 500,610,700 | USE_GRAPHS = 1 | PEER_MAX_BATCH_SIZE = 128 | "
)


def test_system_info_is_split_by_backend() -> None:
    sections = parse_system_info(SYSTEM_INFO)
    assert list(sections) == ["CPU", "CUDA"]
    assert sections["CUDA"] == {
        "ARCHS": "500,610,700",
        "USE_GRAPHS": "1",
        "PEER_MAX_BATCH_SIZE": "128",
    }
    assert sections["CPU"]["AVX512"] == "0"


def test_cpu_features_are_the_cpu_backends_enabled_ones() -> None:
    features = cpu_features(parse_system_info(SYSTEM_INFO))
    assert features == (
        "SSE3",
        "SSSE3",
        "AVX",
        "AVX2",
        "F16C",
        "FMA",
        "LLAMAFILE",
        "OPENMP",
        "REPACK",
    )
    assert cpu_features(parse_system_info("")) == ()


# -- summing up a report ---------------------------------------------------------------


def _device(
    name: str,
    kind: str,
    backend: str,
    free: int,
    *,
    total: int | None = None,
    description: str | None = None,
) -> DeviceInfo:
    return DeviceInfo(
        name=name,
        description=description or f"{name} device",
        kind=kind,  # type: ignore[arg-type]
        backend=backend,
        memory_free_bytes=free,
        memory_total_bytes=free if total is None else total,
    )


CPU = _device("CPU", "cpu", "cpu", 20 * GIB, total=32 * GIB, description="AMD Ryzen")


def _report(*devices: DeviceInfo, gpu_backends: tuple[str, ...] = ()) -> HardwareReport:
    return HardwareReport(cpu_features=("AVX2",), gpu_backends=gpu_backends, devices=devices)


def test_cpu_only_machine() -> None:
    report = _report(CPU)
    assert gpu_backend_class(report) == "cpu"
    assert free_gpu_memory(report) == 0


def test_discrete_gpus_are_summed() -> None:
    report = _report(
        CPU,
        _device("CUDA0", "gpu", "cuda", 10 * GIB, total=24 * GIB, description="RTX 4090"),
        _device("CUDA1", "gpu", "cuda", 6 * GIB, total=12 * GIB, description="RTX 3060"),
    )
    assert gpu_backend_class(report) == "cuda"
    assert free_gpu_memory(report) == 16 * GIB


def test_integrated_gpu_counts_only_without_a_discrete_one() -> None:
    igpu = _device("Vulkan1", "igpu", "vulkan", 8 * GIB, total=16 * GIB, description="Radeon 780M")
    assert free_gpu_memory(_report(CPU, igpu)) == 8 * GIB
    assert gpu_backend_class(_report(CPU, igpu)) == "vulkan"
    dgpu = _device("Vulkan0", "gpu", "vulkan", 4 * GIB, total=8 * GIB, description="RX 7600")
    assert free_gpu_memory(_report(CPU, dgpu, igpu)) == 4 * GIB


def test_two_identical_cards_both_count() -> None:
    report = _report(
        CPU,
        _device("CUDA0", "gpu", "cuda", 20 * GIB, total=24 * GIB, description="RTX 4090"),
        _device("CUDA1", "gpu", "cuda", 20 * GIB, total=24 * GIB, description="RTX 4090"),
    )
    assert free_gpu_memory(report) == 40 * GIB


def test_the_same_card_through_two_backends_counts_once() -> None:
    report = _report(
        CPU,
        _device(
            "CUDA0", "gpu", "cuda", 10 * GIB, total=24 * GIB, description="NVIDIA GeForce RTX 4090"
        ),
        _device(
            "Vulkan0",
            "gpu",
            "vulkan",
            10 * GIB,
            total=24 * GIB,
            description="NVIDIA GeForce RTX 4090",
        ),
    )
    assert free_gpu_memory(report) == 10 * GIB
    assert gpu_backend_class(report) == "cuda"


def test_remote_and_accelerator_devices_are_not_gpu_memory() -> None:
    report = _report(
        CPU,
        _device("RPC[10.0.0.2:50052]", "gpu", "rpc", 20 * GIB),
        _device("BLAS", "accel", "other", 0),
    )
    assert free_gpu_memory(report) == 0
    assert gpu_backend_class(report) == "cpu"


def test_backend_named_without_devices_still_counts_as_gpu_build() -> None:
    report = _report(CPU, gpu_backends=("metal",))
    assert gpu_backend_class(report) == "metal"
    assert free_gpu_memory(report) == 0


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("CPU", "cpu"),
        ("CUDA", "cuda"),
        ("Metal", "metal"),
        ("MTL", "other"),
        ("Vulkan", "vulkan"),
        ("ROCm", "other"),
        ("SYCL", "other"),
        ("RPC", "other"),
    ],
)
def test_backend_classes(name: str, expected: str) -> None:
    assert backend_class(name) == expected


# -- reading ggml's device list --------------------------------------------------------


def test_a_missing_ggml_library_gives_no_devices(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="nexthub.engine.hardware"):
        assert hardware._GgmlDevices.open(tmp_path) is None
        assert hardware._GgmlDevices.open(tmp_path, linked=object()) is None
    assert "no ggml library" in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="Windows loads ggml.dll by name")
def test_the_ggml_functions_come_through_libllama_when_it_has_them(tmp_path: Path) -> None:
    ggml = hardware._GgmlDevices.open(tmp_path, linked=_PartialGgml())
    assert ggml is not None
    assert [d.name for d in ggml.devices()] == ["DEV100", "DEV101"]


def test_the_soname_copy_is_preferred(tmp_path: Path) -> None:
    names = ["libggml.so", "libggml.so.0.25.3", "libggml.so.0", "ggml.dll"]
    for name in names:
        (tmp_path / name).touch()
    first = hardware._library_candidates(tmp_path, "ggml")[0].name
    expected = {"linux": "libggml.so.0", "win32": "ggml.dll"}
    assert first == expected.get(sys.platform, first)


class _PartialGgml:
    """A ggml library that has the device list but none of the per-device details."""

    def __getitem__(self, symbol: str) -> object:
        functions = {
            "ggml_backend_dev_count": lambda: 2,
            "ggml_backend_dev_get": lambda index: 100 + index,
            "ggml_backend_dev_name": lambda dev: f"DEV{dev}".encode(),
        }
        if symbol not in functions:
            raise AttributeError(symbol)
        return functions[symbol]


def test_missing_symbols_degrade_to_what_can_be_read(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="nexthub.engine.hardware"):
        ggml = hardware._GgmlDevices(_PartialGgml())  # type: ignore[arg-type]
    assert "ggml_backend_dev_memory" in caplog.text
    ggml.ensure_backends_loaded(Path("/nowhere"))  # no reg_count: nothing to do, no crash
    devices = ggml.devices()
    assert [d.name for d in devices] == ["DEV100", "DEV101"]
    assert all(d.kind == "other" and d.memory_total_bytes == 0 for d in devices)
    assert free_gpu_memory(_report(*devices)) == 0


# -- the real probe (llama.cpp, no GPU here) -------------------------------------------

needs_llama = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed"
)


@pytest.fixture(scope="module")
def probed() -> HardwareReport:
    """probe_llama_hardware() run in its own process, as the engine's worker runs it."""
    code = (
        "import pickle, sys\n"
        "from nexthub.engine.hardware import probe_llama_hardware\n"
        "sys.stdout.buffer.write(pickle.dumps(probe_llama_hardware()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    report = pickle.loads(result.stdout)  # noqa: S301 - our own child's output
    assert isinstance(report, HardwareReport)
    return report


@needs_llama
def test_probe_lists_the_cpu_device_with_its_memory(probed: HardwareReport) -> None:
    cpus = [d for d in probed.devices if d.kind == "cpu"]
    assert len(cpus) == 1
    assert cpus[0].backend == "cpu"
    assert cpus[0].memory_total_bytes > 0
    assert 0 < cpus[0].memory_free_bytes <= cpus[0].memory_total_bytes
    assert cpus[0].memory_total_bytes == pytest.approx(psutil.virtual_memory().total, rel=0.05)


@needs_llama
@pytest.mark.skipif(platform.machine().lower() not in ("x86_64", "amd64"), reason="x86 features")
def test_probe_reads_cpu_features_on_x86(probed: HardwareReport) -> None:
    assert probed.cpu_features
    assert "SSE3" in probed.cpu_features
    assert probed.system_info.startswith("CPU : ")


@needs_llama
def test_probe_says_cpu_on_this_gpu_less_machine(probed: HardwareReport) -> None:
    if any(d.kind in ("gpu", "igpu") for d in probed.devices):
        pytest.skip("this machine has a GPU that llama.cpp can use")
    assert gpu_backend_class(probed) == "cpu"
    assert probed.gpu_backends == ()
    assert free_gpu_memory(probed) == 0
