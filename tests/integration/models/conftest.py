"""Fixtures for the download tests: a fake Hub, a fresh registry, a connection recorder."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexthub.models import ModelRegistry
from nexthub.paths import AppPaths
from tests.fake_hub import FakeHub, running_fake_hub


@pytest.fixture
def fake_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A running fake Hub serving one tiny GGUF on 127.0.0.1 (offline mode lifted for it)."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    with running_fake_hub(tmp_path / "served.gguf") as hub:
        yield hub


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    """A registry in a fresh home, without the starter model."""
    return ModelRegistry(AppPaths.under(tmp_path / "home"), find_starter=lambda: None)


# -- Which hosts the process connects to --------------------------------------------------------

_connections: list[Any] = []
_recording = threading.Event()


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if not _recording.is_set():
        return
    if event == "socket.connect":
        address = args[1]
        _connections.append(address[0] if isinstance(address, tuple) else address)
    elif event == "socket.getaddrinfo":
        _connections.append(args[0])  # a name looked up, even if never connected to


_hook_installed = False


@pytest.fixture
def connections() -> Iterator[list[Any]]:
    """Every host this process looks up or connects to during the test (audit hook)."""
    global _hook_installed  # noqa: PLW0603 - an audit hook cannot be removed, so install it once
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    _connections.clear()
    _recording.set()
    try:
        yield _connections
    finally:
        _recording.clear()
