"""Fixtures of the telemetry tests (helpers.py has the rest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.telemetry.helpers import Clock, Places, places_here


@pytest.fixture
def places(nexthub_home: Path) -> Places:
    return places_here()


@pytest.fixture
def clock() -> Clock:
    return Clock()
