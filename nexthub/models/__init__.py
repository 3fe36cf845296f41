"""Models: which are recommended, which are installed, and whether a file is usable.

The public API, all importable from ``nexthub.models``:

Catalog (``models/catalog.json``, see ``models/README.md``)
    ``load_catalog(path=None) -> Catalog``; ``Catalog.get(id) -> CatalogEntry``
    (``CatalogModelNotFoundError`` lists the ids), ``Catalog.find(id)``,
    iteration; ``CatalogEntry`` and ``CatalogSource`` are frozen dataclasses.

Inspecting a file, before llama.cpp sees it
    ``inspect_gguf(path) -> GgufInfo`` reads only the GGUF header; a bad file
    raises a subclass of ``InvalidModelError`` that names the problem.

Memory
    ``estimate_memory(info, context) -> int`` (bytes);
    ``classify_fit(required, *, available_ram, free_vram) -> MemoryFit``;
    ``check_fits_in_memory(info, context, available_ram, free_vram) -> MemoryFit``
    raises ``ModelTooLargeError``. Callers measure the free memory.

Installed models
    ``ModelRegistry(paths)``: ``list()``, ``get(id_or_prefix)``, ``default()``,
    ``import_file(path, *, copy=True, progress=None)``, ``remove(id)``,
    ``add_downloaded(file, entry, *, sha256)``; each model is an
    ``InstalledModel``. The starter model (``find_starter_model()``) is listed
    automatically when its package is installed.

Downloads
    ``download_model(entry_or_id, registry, *, progress=None, cancel=None,
    endpoint=None, token=False) -> InstalledModel``: resumable, sha256-verified;
    ``partial_downloads(folder, id)`` and ``discard_partial_downloads(folder, id)``
    find and delete what an unfinished download left to resume.

Every error is a ``ModelError`` (a ``NextHubError``) with a message for the user.
Importing this package does no I/O and no network access.
"""

from nexthub.models.catalog import Catalog, CatalogEntry, CatalogSource, load_catalog
from nexthub.models.download import (
    discard_partial_downloads,
    download_model,
    partial_downloads,
)
from nexthub.models.errors import (
    CatalogError,
    CatalogModelNotFoundError,
    ChecksumMismatchError,
    CorruptModelError,
    DownloadCancelledError,
    DownloadError,
    InvalidModelError,
    ModelAlreadyInstalledError,
    ModelError,
    ModelFileNotFoundError,
    ModelNotFoundError,
    ModelStorageError,
    ModelTooLargeError,
    NoModelInstalledError,
    NotEnoughDiskSpaceError,
    NotGgufError,
    RegistryError,
    StarterModelRemovalError,
    TruncatedModelError,
    UnsupportedArchitectureError,
    UnsupportedGgufVersionError,
)
from nexthub.models.files import ProgressCallback
from nexthub.models.gguf_info import GgufInfo, inspect_gguf
from nexthub.models.memory_fit import (
    MemoryFit,
    check_fits_in_memory,
    classify_fit,
    estimate_memory,
)
from nexthub.models.registry import InstalledModel, ModelRegistry, ModelSource
from nexthub.models.starter import find_starter_model

__all__ = [
    "Catalog",
    "CatalogEntry",
    "CatalogError",
    "CatalogModelNotFoundError",
    "CatalogSource",
    "ChecksumMismatchError",
    "CorruptModelError",
    "DownloadCancelledError",
    "DownloadError",
    "GgufInfo",
    "InstalledModel",
    "InvalidModelError",
    "MemoryFit",
    "ModelAlreadyInstalledError",
    "ModelError",
    "ModelFileNotFoundError",
    "ModelNotFoundError",
    "ModelRegistry",
    "ModelSource",
    "ModelStorageError",
    "ModelTooLargeError",
    "NoModelInstalledError",
    "NotEnoughDiskSpaceError",
    "NotGgufError",
    "ProgressCallback",
    "RegistryError",
    "StarterModelRemovalError",
    "TruncatedModelError",
    "UnsupportedArchitectureError",
    "UnsupportedGgufVersionError",
    "check_fits_in_memory",
    "classify_fit",
    "discard_partial_downloads",
    "download_model",
    "estimate_memory",
    "find_starter_model",
    "inspect_gguf",
    "load_catalog",
    "partial_downloads",
]
