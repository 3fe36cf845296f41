"""``nexthub doctor``: what NextHub sees of this machine, and where its data lives."""

from __future__ import annotations

import argparse
import json
import platform
import sys
from dataclasses import asdict
from typing import Any

from nexthub import __version__
from nexthub.cli.format import print_table
from nexthub.engine import Engine, EngineError, HardwareReport
from nexthub.engine.hardware import (
    default_batch_threads,
    default_threads,
    gpu_backend_class,
    read_system_facts,
)
from nexthub.errors import NextHubError
from nexthub.models import ModelRegistry
from nexthub.paths import AppPaths
from nexthub.service.display import human_bytes


def register(commands: Any) -> None:
    """Add the ``doctor`` sub-command."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "doctor", help="show hardware, llama.cpp backends and data folders", description=__doc__
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Collect the facts and print them."""
    facts = read_system_facts()
    paths = AppPaths.from_environment()
    report: HardwareReport | None = None
    probe_error = ""
    try:
        with Engine() as engine:
            report = engine.probe_hardware()
    except EngineError as exc:
        probe_error = str(exc)
    try:
        models = [m.id for m in ModelRegistry(paths).list()]
    except NextHubError as exc:
        models = [f"(could not read the model list: {exc})"]

    if args.json:
        json.dump(
            {
                "version": __version__,
                "python": platform.python_version(),
                "system": asdict(facts),
                "llama_cpp": asdict(report) if report else {"error": probe_error},
                "default_threads": default_threads(),
                "paths": {k: str(v) for k, v in paths.all_locations().items()},
                "models": models,
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 0

    rows = [
        ["NextHub", __version__],
        ["Python", platform.python_version()],
        ["system", f"{facts.os_family} {facts.architecture}"],
        ["CPU", facts.cpu_model or "(unknown)"],
        ["cores", f"{facts.physical_cores} physical, {facts.logical_cores} logical"],
        ["threads", f"{default_threads()} for generating, {default_batch_threads()} for prompts"],
        [
            "memory",
            f"{human_bytes(facts.ram_total_bytes)} total, "
            f"{human_bytes(facts.ram_available_bytes)} available",
        ],
    ]
    if report is None:
        rows.append(["llama.cpp", f"could not be started: {probe_error}"])
    else:
        rows.append(["CPU features", " ".join(report.cpu_features) or "(none reported)"])
        rows.append(["GPU backend", gpu_backend_class(report)])
        for device in report.devices:
            memory = (
                f", {human_bytes(device.memory_free_bytes)} free of "
                f"{human_bytes(device.memory_total_bytes)}"
                if device.memory_total_bytes
                else ""
            )
            rows.append(["device", f"{device.name} ({device.kind}, {device.backend}){memory}"])
    for role, folder in paths.all_locations().items():
        rows.append([f"{role} folder", str(folder)])
    rows.append(["models", ", ".join(models) or "(none installed)"])
    print_table(["", ""], rows, header=False)
    return 1 if report is None else 0
