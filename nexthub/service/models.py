"""Models as every face offers them: what is installed, whether it fits, loading it.

The checks happen here, before llama.cpp ever sees a file: a model's header
is inspected and its memory needs compared with what is free, so a bad or
oversized file gets a clear error instead of a crash in the worker.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from nexthub.engine import Engine, LoadSettings, ModelInfo
from nexthub.engine.hardware import free_gpu_memory, read_system_facts
from nexthub.errors import NextHubError
from nexthub.models import (
    InstalledModel,
    MemoryFit,
    ModelRegistry,
    check_fits_in_memory,
    classify_fit,
    estimate_memory,
    inspect_gguf,
)
from nexthub.paths import AppPaths
from nexthub.service.display import human_bytes
from nexthub.service.downloads import CatalogDownloads
from nexthub.service.usage_counts import count_load, model_family
from nexthub.telemetry import Telemetry

#: Context assumed by the memory check when a context of 0 asks for the model's own.
ESTIMATE_CONTEXT = 4096


@dataclass(frozen=True)
class ModelChoice:
    """An installed model with where it can run on this machine."""

    model: InstalledModel
    #: None when the file cannot be read (moved, or damaged): see ``problem``.
    fit: MemoryFit | None
    problem: str | None = None


@dataclass(frozen=True)
class LoadedModel:
    """The model answering: its name for the store, and what the engine reports."""

    name: str
    path: Path
    info: ModelInfo


def resolve_model_path(
    model: str | None, paths: AppPaths, *, context: int = ESTIMATE_CONTEXT, free_vram: int = 0
) -> Path:
    """A model id from the registry, a .gguf path, or the default model, checked."""
    if model and (model.endswith(".gguf") or Path(model).expanduser().is_file()):
        path = Path(model).expanduser()
    else:
        registry = ModelRegistry(paths)
        chosen: InstalledModel = registry.get(model) if model else registry.default()
        path = chosen.path
    info = inspect_gguf(path)
    check_fits_in_memory(info, context, read_system_facts().ram_available_bytes, free_vram)
    return path


class ModelService:
    """Lists, checks and loads models for one installation."""

    def __init__(self, paths: AppPaths, engine: Engine, telemetry: Telemetry | None = None) -> None:
        self._paths = paths
        self._engine = engine
        self._telemetry = telemetry
        self._registry = ModelRegistry(paths)
        #: The catalog and its downloads (pause, resume, cancel).
        self.downloads = CatalogDownloads(self._registry)
        self._free_vram: int | None = None

    @property
    def registry(self) -> ModelRegistry:
        """The installed models (import, remove)."""
        return self._registry

    def installed(
        self, *, context: int = ESTIMATE_CONTEXT, free_vram: int = 0
    ) -> list[ModelChoice]:
        """Every installed model, with a fit estimate for this machine's free memory."""
        available_ram = read_system_facts().ram_available_bytes
        choices = []
        for model in self._registry.list():
            try:
                required = estimate_memory(inspect_gguf(model.path), context or ESTIMATE_CONTEXT)
            except (NextHubError, OSError) as exc:
                choices.append(ModelChoice(model, None, str(exc)))
                continue
            fit = classify_fit(required, available_ram=available_ram, free_vram=free_vram)
            choices.append(ModelChoice(model, fit))
        return choices

    def installed_here(self, settings: LoadSettings) -> list[ModelChoice]:
        """Every installed model, with where it would run with ``settings`` on this machine.

        The GPU is asked once for its free memory (by the engine's worker, which
        starts for it) and the answer is kept: asking again would wait behind
        any answer being written, and what a model manager shows is where a
        model can run on its own anyway. ``gpu_layers`` 0 means the CPU only.
        """
        free_vram = 0
        if settings.gpu_layers:
            if self._free_vram is None:
                self._free_vram = free_gpu_memory(self._engine.probe_hardware())
            free_vram = self._free_vram
        return self.installed(
            context=settings.context_size or ESTIMATE_CONTEXT, free_vram=free_vram
        )

    def load(
        self,
        model: str | None,
        settings: LoadSettings,
        on_progress: Callable[[float], None] | None = None,
    ) -> LoadedModel:
        """Check and load ``model`` (an id, a path, or None for the default).

        ``Engine.cancel()`` from another thread stops the load.
        """
        hardware = self._engine.probe_hardware() if settings.gpu_layers else None
        free_vram = free_gpu_memory(hardware) if hardware is not None else 0
        path = resolve_model_path(
            model,
            self._paths,
            context=settings.context_size or ESTIMATE_CONTEXT,
            free_vram=free_vram,
        )
        started = time.monotonic()
        info = self._engine.load(path, settings, on_progress=on_progress)
        if self._telemetry is not None:
            count_load(
                self._telemetry,
                family=model_family(self._registry, path),
                seconds=time.monotonic() - started,
                context_tokens=info.context_size,
                hardware=hardware,
                settings=settings,
            )
        return LoadedModel(path.stem, path, info)


def removal_question(model: InstalledModel) -> str:
    """What removing ``model`` does, as a question: whether its file is deleted or kept.

    Only files NextHub copied or downloaded into its own folder are deleted; a
    file the user pointed NextHub at is never deleted.
    """
    if model.source in {"copy", "download"}:
        return f"Remove {model.display_name} and delete its file ({human_bytes(model.size_bytes)})?"
    return f"Remove {model.display_name} from the list? Your file {model.path} is kept."
