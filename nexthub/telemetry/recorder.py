"""Telemetry: the app's one handle on it. Count, observe, crash; nothing unless opted in.

Recording is a dictionary update under a lock, so it never slows the caller;
counts reach the disk at :meth:`Telemetry.flush` (from the background thread,
and on exit), which re-reads the consent first: after ``nexthub telemetry off``
in another process, what was counted in memory is dropped, not written. No
method raises: a telemetry failure must never become the app's failure.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from nexthub.telemetry.consent import Consent, read_consent
from nexthub.telemetry.device import DeviceFacts, device_classes
from nexthub.telemetry.local_store import Current, LocalStore
from nexthub.telemetry.period import Period
from nexthub.telemetry.registry import Registry, default_registry
from nexthub.telemetry.schedule import SendPolicy, first_plan
from nexthub.telemetry.signature import crash_signature
from nexthub.telemetry.tally import Tally

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock (tests pass their own)."""
    return datetime.now(UTC)


class Telemetry:
    """Counts for the current week, kept in ``folder`` only while consent is given."""

    def __init__(
        self,
        folder: Path,
        consent_file: Path,
        device: DeviceFacts,
        *,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Clock = utc_now,
        rng: random.Random | None = None,
        policy: SendPolicy | None = None,
    ) -> None:
        self.registry = registry or default_registry()
        self.store = LocalStore(folder, self.registry)
        self.consent_file = consent_file
        self.clock = clock
        self.rng = rng or random.SystemRandom()
        self.policy = policy or SendPolicy()
        self._environ = environ
        self._device = device_classes(device, self.registry)
        self._lock = threading.Lock()
        self._pending: dict[Period, Tally] = {}
        self._enabled = self.consent() is Consent.ON

    @property
    def enabled(self) -> bool:
        """Whether recording is on (as of construction or the last flush)."""
        return self._enabled

    def set_device(self, device: DeviceFacts) -> None:
        """Report ``device``'s classes from now on.

        The GPU backend and its memory are known only once the engine's worker
        has looked (the app process never loads llama.cpp), after this object
        was made.
        """
        classes = device_classes(device, self.registry)
        with self._lock:
            self._device = classes

    def consent(self) -> Consent:
        """The consent in force now (read from its file and the environment)."""
        return read_consent(self.consent_file, self.registry, self._environ)

    def count(self, name: str, label: str | None = None) -> None:
        """Count one use of a declared feature (``label`` for a labelled counter)."""
        if self._enabled:
            with self._lock:
                self._tally().count(name, label)

    def observe(self, name: str, value: float) -> None:
        """Count ``value`` into a declared histogram."""
        if self._enabled:
            with self._lock:
                self._tally().observe(name, value)

    def crash(self, exc: BaseException) -> None:
        """Count an error's signature (its type and NextHub's own innermost frames)."""
        if not self._enabled:
            return
        try:
            signature = crash_signature(exc, self.registry.crashes.max_frames)
        except Exception:  # telemetry must not turn one error into two
            log.debug("crash signature failed", exc_info=True)
            return
        with self._lock:
            self._tally().crash(signature)

    def sample(self) -> bytes:
        """The exact bytes of a report for this week with nothing counted yet.

        What a user is shown before saying yes: the shape, the device classes,
        and that there is nothing else in it.
        """
        period = Period.containing(self.clock())
        return Current(period, Tally(self.registry), self._device).report_bytes()

    def flush(self) -> None:
        """Write what was counted to the folder, and finish a week that has ended."""
        with self._lock:
            pending, self._pending = self._pending, {}
        self._enabled = self.consent() is Consent.ON
        if not self._enabled:
            return
        try:
            self._merge(pending)
        except OSError:
            log.debug("telemetry could not write its folder", exc_info=True)

    def _tally(self) -> Tally:
        period = Period.containing(self.clock())
        tally = self._pending.get(period)
        if tally is None:
            tally = self._pending[period] = Tally(self.registry)
        return tally

    def _merge(self, pending: dict[Period, Tally]) -> None:
        current = self.store.read_current()
        for period, tally in sorted(pending.items(), key=lambda item: item[0]):
            if current is not None and current.period > period:
                continue  # another process already finished that week
            if current is not None and current.period < period:
                self._finish(current)
                current = None
            if current is None:
                current = Current(period, Tally(self.registry), self._device)
            current.tally.merge(tally)
        if current is not None and current.period < Period.containing(self.clock()):
            self._finish(current)
            current = None
        if current is not None:
            self.store.write_current(Current(current.period, current.tally, self._device))

    def _finish(self, current: Current) -> None:
        if current.tally.is_empty():
            self.store.current_file.unlink(missing_ok=True)
            return
        self.store.finish(current, first_plan(current.period, self.policy, self.rng))
