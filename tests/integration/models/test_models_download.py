"""Catalog downloads, through the real huggingface_hub code, from a fake Hub.

The server in conftest.py stands in for the Hugging Face Hub because tests
cannot reach the internet; it speaks the part of the Hub's protocol that
huggingface_hub uses to download a file (HEAD and GET on /resolve/, with the
Hub's headers and Range support). Everything on NextHub's side is real: the
download code, sha256 verification, the registry, the file system.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from typing import Any

import pytest

from nexthub.models import (
    ChecksumMismatchError,
    DownloadCancelledError,
    DownloadError,
    ModelAlreadyInstalledError,
    ModelRegistry,
    download_model,
    inspect_gguf,
)
from tests.fake_hub import FakeHub


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_a_download_is_verified_registered_and_reports_progress(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    progress: list[tuple[int, int | None]] = []

    model = download_model(
        fake_hub.entry(),
        registry,
        endpoint=fake_hub.endpoint,
        progress=lambda done, total: progress.append((done, total)),
    )

    size = len(fake_hub.content)
    assert progress[0] == (0, size)
    assert progress[-1] == (size, size)
    assert len(progress) > 2  # it moved in steps the CLI can draw
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert (model.source, model.catalog_id, model.sha256) == (
        "download",
        "tiny-model",
        fake_hub.sha256,
    )
    assert model.path.read_bytes() == fake_hub.content
    assert model.path.parent == registry.paths.models_dir
    assert inspect_gguf(model.path).name == "Tiny Model"
    assert registry.list() == [model]
    assert files_in(registry.paths.downloads_dir) == []  # nothing left behind


def test_only_the_hub_is_contacted_and_no_login_is_sent(
    fake_hub: FakeHub,
    registry: ModelRegistry,
    connections: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Even where huggingface_hub's telemetry was left on, only the endpoint is contacted."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_TELEMETRY", False)

    download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert connections, "the audit hook saw no connection at all"
    assert set(connections) == {"127.0.0.1"}
    assert [r.method for r in fake_hub.requests] == ["HEAD", "GET"]
    for request in fake_hub.requests:
        assert "authorization" not in {name.lower() for name in request.headers}
        assert "nexthub/" in request.headers.get("user-agent", "")


def test_without_a_catalog_sha256_the_hubs_is_used(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    model = download_model(fake_hub.entry(sha256=None), registry, endpoint=fake_hub.endpoint)

    assert model.sha256 == fake_hub.sha256


def test_corrupt_bytes_are_refused_and_nothing_is_installed(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.served = fake_hub.content[:-1] + b"\x00"  # same size, last byte changed

    with pytest.raises(ChecksumMismatchError, match="is corrupt") as caught:
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert "nothing was installed" in str(caught.value)
    assert registry.list() == []
    assert files_in(registry.paths.models_dir) == []
    assert files_in(registry.paths.downloads_dir) == []  # a bad partial is not kept


def test_corrupt_bytes_are_refused_when_checking_against_the_hubs_sha256(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.served = bytes(len(fake_hub.content))

    with pytest.raises(ChecksumMismatchError):
        download_model(fake_hub.entry(sha256=None), registry, endpoint=fake_hub.endpoint)

    assert registry.list() == []
    assert files_in(registry.paths.models_dir) == []


def test_a_file_changed_on_the_hub_is_refused_before_downloading(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    fake_hub.reported_sha256 = "f" * 64

    with pytest.raises(ChecksumMismatchError, match="updated since this version"):
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert fake_hub.gets() == []
    assert registry.list() == []


def test_a_dropped_connection_is_resumed_where_it_stopped(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    half = len(fake_hub.content) // 2
    fake_hub.cut_after, fake_hub.cuts_left = half, 1

    model = download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    first, second = fake_hub.gets()
    assert "Range" not in first.headers
    resumed_at = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= half
    assert model.path.read_bytes() == fake_hub.content


def test_a_connection_that_keeps_dropping_gives_up_and_keeps_the_partial(
    fake_hub: FakeHub, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nexthub.models.download.RETRY_DELAYS", (0.01, 0.01))
    fake_hub.cut_after, fake_hub.cuts_left = 0, 100

    with pytest.raises(DownloadError, match="start the download again to resume"):
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert len(fake_hub.gets()) == 3  # the first try and two retries
    assert registry.list() == []
    assert files_in(registry.paths.models_dir) == []


def test_a_cancelled_download_resumes_on_the_next_try(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    cancel = threading.Event()
    size = len(fake_hub.content)

    def cancel_half_way(done: int, total: int | None) -> None:
        if done >= size // 2:
            cancel.set()

    with pytest.raises(DownloadCancelledError, match="resume"):
        download_model(
            fake_hub.entry(),
            registry,
            endpoint=fake_hub.endpoint,
            progress=cancel_half_way,
            cancel=cancel,
        )

    assert registry.list() == []
    assert files_in(registry.paths.models_dir) == []
    (partial,) = registry.paths.downloads_dir.iterdir()
    kept = partial.stat().st_size
    assert size // 2 <= kept < size

    progress: list[int] = []
    model = download_model(
        fake_hub.entry(),
        registry,
        endpoint=fake_hub.endpoint,
        progress=lambda done, total: progress.append(done),
    )

    assert fake_hub.gets()[-1].headers["Range"] == f"bytes={kept}-"
    assert progress[0] == kept
    assert model.path.read_bytes() == fake_hub.content
    assert files_in(registry.paths.downloads_dir) == []


def test_the_hubs_redirect_to_its_cdn_is_followed_without_the_login(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    """The Hub answers a large file with a 302 to another host; the token stays on the Hub."""
    fake_hub.cdn_host = "localhost"

    model = download_model(
        fake_hub.entry(),
        registry,
        endpoint=fake_hub.endpoint,
        token="hf_not_a_real_token",
    )

    head, get = fake_hub.requests
    assert head.method == "HEAD"
    assert head.headers.get("authorization") == "Bearer hf_not_a_real_token"
    assert get.path.startswith("/cdn/")
    assert "authorization" not in {name.lower() for name in get.headers}
    assert model.path.read_bytes() == fake_hub.content


def test_a_file_missing_on_the_hub_is_reported(fake_hub: FakeHub, registry: ModelRegistry) -> None:
    fake_hub.missing = True

    with pytest.raises(DownloadError, match="was not found in test-org/Tiny-Model-GGUF"):
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert registry.list() == []


def test_an_unreachable_hub_is_reported(registry: ModelRegistry, fake_hub: FakeHub) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed_port = unused.getsockname()[1]  # nothing listens once it is closed

    with pytest.raises(DownloadError, match=r"could not reach 127\.0\.0\.1"):
        download_model(fake_hub.entry(), registry, endpoint=f"http://127.0.0.1:{closed_port}")


def test_an_installed_model_is_not_downloaded_again(
    fake_hub: FakeHub, registry: ModelRegistry
) -> None:
    first = download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)
    requests_before = len(fake_hub.requests)

    with pytest.raises(ModelAlreadyInstalledError, match=f"already installed as '{first.id}'"):
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert len(fake_hub.requests) == requests_before


def test_offline_mode_is_reported(
    fake_hub: FakeHub, registry: ModelRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)

    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE"):
        download_model(fake_hub.entry(), registry, endpoint=fake_hub.endpoint)

    assert fake_hub.requests == []
