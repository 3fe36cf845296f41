"""Fixtures shared by the integration tests: the real engine with the real starter model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexthub.engine import Engine, LoadSettings


@pytest.fixture(scope="module")
def engine(starter_model_path: Path) -> Iterator[Engine]:
    """A worker with the starter model loaded (2 threads: CI has 2 cores)."""
    with Engine() as engine:
        engine.load(starter_model_path, LoadSettings(context_size=2048, threads=2, batch_threads=2))
        yield engine
