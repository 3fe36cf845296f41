"""Pause, resume and cancel of catalog downloads (the service every face uses), from a fake Hub."""

from __future__ import annotations

import threading

from nexthub.models import Catalog, ModelRegistry
from nexthub.service.downloads import CatalogDownloads
from tests.fake_hub import FakeHub


def downloads_of(fake_hub: FakeHub, registry: ModelRegistry) -> CatalogDownloads:
    return CatalogDownloads(
        registry, catalog=Catalog((fake_hub.entry(),)), endpoint=fake_hub.endpoint
    )


def stop_half_way(downloads: CatalogDownloads, stop: str) -> None:
    """Download, and pause or cancel once some bytes have arrived; it returns None."""
    arrived = threading.Event()

    def progress(done: int, _total: int | None) -> None:
        if done and not arrived.is_set():
            arrived.set()
            getattr(downloads, stop)("tiny-model")

    assert downloads.download("tiny-model", progress) is None


def test_a_paused_download_is_kept_offered_and_resumed(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.chunk_delay = 0.02
    downloads = downloads_of(fake_hub, registry)

    stop_half_way(downloads, "pause")

    (offer,) = downloads.offers()
    assert not offer.installed
    assert 0 < offer.partial_bytes < len(fake_hub.content)
    model = downloads.download("tiny-model")
    assert model is not None and model.path.read_bytes() == fake_hub.content
    assert fake_hub.gets()[-1].headers["Range"] == f"bytes={offer.partial_bytes}-"
    assert downloads.offers()[0].installed
    assert downloads.offers()[0].partial_bytes == 0


def test_a_cancelled_download_deletes_what_it_downloaded(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.chunk_delay = 0.02
    downloads = downloads_of(fake_hub, registry)

    stop_half_way(downloads, "cancel")

    assert downloads.offers()[0].partial_bytes == 0
    assert registry.list() == []
    assert list(registry.paths.downloads_dir.iterdir()) == []


def test_a_paused_download_can_be_cancelled_later(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.chunk_delay = 0.02
    downloads = downloads_of(fake_hub, registry)
    stop_half_way(downloads, "pause")

    downloads.cancel("tiny-model")

    assert downloads.offers()[0].partial_bytes == 0
