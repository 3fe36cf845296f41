"""Catalog downloads as a face offers them: start, pause, resume, cancel.

:func:`nexthub.models.download_model` does the work (resumable, sha256-checked)
and stops when its ``cancel`` event is set, keeping what it downloaded. On top
of that a face needs two ways to stop: *pause* keeps the partial file, so the
next download of the same model resumes it (also after a restart), and
*cancel* deletes it. This class keeps one event per running download and
knows which of the two was asked for, so every face gets the same behaviour.

``catalog`` and ``endpoint`` are parameters so that tests can offer a model
served by a fake Hub on 127.0.0.1.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from nexthub.errors import NextHubError
from nexthub.models import (
    Catalog,
    CatalogEntry,
    DownloadCancelledError,
    InstalledModel,
    ModelRegistry,
    ProgressCallback,
    discard_partial_downloads,
    download_model,
    load_catalog,
    partial_downloads,
)


@dataclass(frozen=True)
class CatalogOffer:
    """A catalog model, and how far this installation has it."""

    entry: CatalogEntry
    #: Installed already (from the catalog, or the starter model).
    installed: bool
    #: Bytes a paused or interrupted download left to resume (0: none).
    partial_bytes: int


class CatalogDownloads:
    """The catalog's models and the downloads of them (see the module docstring)."""

    def __init__(
        self,
        registry: ModelRegistry,
        *,
        catalog: Catalog | None = None,
        endpoint: str | None = None,
    ) -> None:
        self._registry = registry
        self._catalog = catalog
        self._endpoint = endpoint
        self._lock = threading.Lock()
        self._running: dict[str, threading.Event] = {}
        self._discard: set[str] = set()

    def catalog(self) -> Catalog:
        """The catalog (read from NextHub's package on first use)."""
        if self._catalog is None:
            self._catalog = load_catalog()
        return self._catalog

    def offers(self) -> list[CatalogOffer]:
        """Every catalog model, with whether it is installed and what is left to resume."""
        installed = {model.catalog_id for model in self._registry.list()}
        folder = self._registry.paths.downloads_dir
        return [
            CatalogOffer(
                entry,
                entry.id in installed,
                sum(p.stat().st_size for p in partial_downloads(folder, entry.id)),
            )
            for entry in self.catalog()
        ]

    def download(
        self, catalog_id: str, progress: ProgressCallback | None = None
    ) -> InstalledModel | None:
        """Download, verify and install a catalog model (resuming a partial download).

        Blocks until it is done. Returns None when :meth:`pause` or
        :meth:`cancel` stopped it; raises a ``DownloadError`` (nothing
        installed) when it failed.
        """
        entry = self.catalog().get(catalog_id)
        stop = threading.Event()
        with self._lock:
            if catalog_id in self._running:
                raise NextHubError(f"{entry.display_name} is already being downloaded.")
            self._running[catalog_id] = stop
            self._discard.discard(catalog_id)
        try:
            return download_model(
                entry, self._registry, progress=progress, cancel=stop, endpoint=self._endpoint
            )
        except DownloadCancelledError:
            return None
        finally:
            with self._lock:
                del self._running[catalog_id]
                discard = catalog_id in self._discard
                self._discard.discard(catalog_id)
            if discard:
                discard_partial_downloads(self._registry.paths.downloads_dir, catalog_id)

    def pause(self, catalog_id: str) -> None:
        """Stop a running download, keeping what it downloaded (returns at once)."""
        with self._lock:
            stop = self._running.get(catalog_id)
        if stop is not None:
            stop.set()

    def cancel(self, catalog_id: str) -> None:
        """Stop a download and delete what it downloaded, running or paused."""
        with self._lock:
            stop = self._running.get(catalog_id)
            if stop is not None:
                self._discard.add(catalog_id)
                stop.set()
                return
        discard_partial_downloads(self._registry.paths.downloads_dir, catalog_id)
