"""Telemetry test helpers: a settable clock, a fixed device, a Telemetry in NEXTHUB_HOME."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nexthub.paths import AppPaths
from nexthub.telemetry import DeviceFacts, Telemetry

#: A Wednesday in ISO week 2026-W19.
MIDWEEK = datetime(2026, 5, 6, 12, 0, tzinfo=UTC)
GIB = 2**30
DEVICE = DeviceFacts("0.4.2", "Linux", "x86_64", 16 * GIB, "cuda", 8 * GIB)


@dataclass
class Clock:
    """A clock the test moves by hand (nothing sleeps)."""

    now: datetime = MIDWEEK

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass(frozen=True)
class Places:
    folder: Path
    consent_file: Path


def places_here() -> Places:
    """Telemetry's folder and consent file in this test's NEXTHUB_HOME."""
    paths = AppPaths.from_environment()
    return Places(paths.telemetry_dir, paths.telemetry_consent_file)


def make_telemetry(places: Places, clock: Clock, seed: int = 0, **environ: str) -> Telemetry:
    """A Telemetry with a fixed device, a fake clock, a seeded RNG and a clean environment."""
    return Telemetry(
        places.folder,
        places.consent_file,
        DEVICE,
        environ=environ,
        clock=clock,
        rng=random.Random(seed),  # noqa: S311 (reproducible draws, not secrets)
    )
