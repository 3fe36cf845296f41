"""``nexthub models``: list, import, inspect, remove and download models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from nexthub.cli.format import print_table
from nexthub.cli.progress import ProgressLine
from nexthub.engine.hardware import read_system_facts
from nexthub.errors import NextHubError
from nexthub.models import (
    GgufInfo,
    InstalledModel,
    ModelRegistry,
    classify_fit,
    download_model,
    estimate_memory,
    inspect_gguf,
    load_catalog,
)
from nexthub.paths import AppPaths
from nexthub.service.display import human_bytes, human_count
from nexthub.service.models import ESTIMATE_CONTEXT, removal_question


def register(commands: Any) -> None:
    """Add ``models`` and its sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "models", help="manage local models", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser("list", help="installed models (or the catalog)")
    listing.add_argument("--catalog", action="store_true", help="recommended models to download")
    listing.set_defaults(run=run_list)

    importing = actions.add_parser("import", help="add a .gguf file")
    importing.add_argument("file", type=Path)
    importing.add_argument(
        "--reference",
        action="store_true",
        help="use the file where it is instead of copying it (it is never deleted)",
    )
    importing.set_defaults(run=run_import)

    info = actions.add_parser("info", help="details of an installed model or a .gguf file")
    info.add_argument("model", help="model id, or a path to a .gguf file")
    info.set_defaults(run=run_info)

    remove = actions.add_parser("remove", help="remove an installed model")
    remove.add_argument("model", help="model id")
    remove.add_argument("--yes", "-y", action="store_true", help="do not ask")
    remove.set_defaults(run=run_remove)

    download = actions.add_parser("download", help="download a model from the catalog")
    download.add_argument("model", help="catalog id (see `nexthub models list --catalog`)")
    download.set_defaults(run=run_download)


def _registry() -> ModelRegistry:
    return ModelRegistry(AppPaths.from_environment())


def run_list(args: argparse.Namespace) -> int:
    """Print the installed models, or the catalog."""
    if args.catalog:
        rows = [
            [
                entry.id,
                entry.display_name,
                entry.quantisation,
                human_bytes(entry.size_bytes),
                human_bytes(entry.min_memory_bytes),
                entry.license,
            ]
            for entry in load_catalog()
        ]
        print_table(["ID", "NAME", "QUANT", "SIZE", "MEMORY", "LICENSE"], rows)
        return 0
    models = _registry().list()
    if not models:
        print("No models installed. See `nexthub models list --catalog`.", file=sys.stderr)
        return 0
    print_table(
        ["ID", "NAME", "QUANT", "SIZE", "SOURCE"],
        [
            [
                m.id,
                m.display_name,
                m.quantisation,
                human_bytes(m.size_bytes),
                m.source if m.is_available else f"{m.source} (file missing)",
            ]
            for m in models
        ],
    )
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Register a .gguf file, copying it unless --reference."""
    progress = ProgressLine(f"Copying {args.file.name}")
    model = _registry().import_file(
        args.file.expanduser(),
        copy=not args.reference,
        progress=lambda done, total: progress.update(done / total if total else 0.0),
    )
    progress.done()
    print(f"Imported {model.display_name} as {model.id}.")
    return 0


def run_info(args: argparse.Namespace) -> int:
    """Print what the GGUF header says, and whether it fits this machine."""
    target = Path(args.model).expanduser()
    installed: InstalledModel | None = None
    if not (args.model.endswith(".gguf") or target.is_file()):
        installed = _registry().get(args.model)
        target = installed.path
    info = inspect_gguf(target)
    print_table(["", ""], _info_rows(info, installed), header=False)
    return 0


def _info_rows(info: GgufInfo, installed: InstalledModel | None) -> list[list[str]]:
    facts = read_system_facts()
    needed = estimate_memory(info, ESTIMATE_CONTEXT)
    fit = classify_fit(needed, available_ram=facts.ram_available_bytes, free_vram=0)
    rows = []
    if installed is not None:
        rows += [["id", installed.id], ["source", installed.source]]
    rows += [
        ["name", info.name or "-"],
        ["file", str(info.path)],
        ["size", human_bytes(info.file_size)],
        ["architecture", info.architecture],
        ["parameters", human_count(info.parameter_count)],
        ["quantisation", info.quantisation],
        ["context length", str(info.context_length or "-")],
        ["layers", str(info.layer_count or "-")],
        ["chat template", "yes" if info.has_chat_template else "no (ChatML fallback)"],
        [f"memory at {ESTIMATE_CONTEXT} ctx", human_bytes(needed)],
        ["fit (CPU, GPU not probed)", str(fit)],
    ]
    return rows


def run_remove(args: argparse.Namespace) -> int:
    """Unregister a model; delete its file if NextHub made the copy."""
    registry = _registry()
    model = registry.get(args.model)
    question = removal_question(model)
    if not args.yes:
        if not sys.stdin.isatty():
            raise NextHubError(f"Refusing to remove {model.id} without confirmation: add --yes.")
        if input(f"{question} [y/N] ").strip().lower() not in {"y", "yes"}:
            print("Nothing removed.", file=sys.stderr)
            return 1
    registry.remove(model.id)
    print(f"Removed {model.id}.")
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download a catalog model with a progress bar; Ctrl-C stops (it resumes next time)."""
    entry = load_catalog().get(args.model)
    progress = ProgressLine(f"Downloading {entry.display_name}")

    def show(done: int, total: int | None) -> None:
        size = total or entry.size_bytes
        progress.update(done / size if size else 0.0, f"{human_bytes(done)} of {human_bytes(size)}")

    try:
        model = download_model(entry, _registry(), progress=show)
    except KeyboardInterrupt:
        progress.done()
        print("Download stopped; run the same command again to resume.", file=sys.stderr)
        return 130
    progress.done()
    print(f"Downloaded and verified {model.display_name} as {model.id}.")
    return 0
