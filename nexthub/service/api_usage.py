"""The API's usage log as the service layer keeps it: record each call, fold what is old.

The server records one :class:`~nexthub.store.usage.ApiCall` per call (no
content: see store/usage.py). Raw rows older than the retention period in
Settings (``api_usage_retention_days``, 30 by default) are folded into daily
totals and deleted. Folding is checked each time a call is recorded, at most
once an hour (the first call after a start always checks): a server that
runs for weeks folds as it goes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from nexthub.store import ChatStore
from nexthub.store.usage import ApiCall, DailyUsage
from nexthub.telemetry import Telemetry

__all__ = ["ApiCall", "ApiUsage", "DailyUsage"]  # the faces take the records from here

#: How often, at most, old rows are folded.
FOLD_INTERVAL = timedelta(hours=1)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class ApiUsage:
    """Records calls in the store's usage log and keeps raw rows within the retention period."""

    def __init__(
        self,
        store: ChatStore,
        retention_days: Callable[[], int],
        clock: Clock = utc_now,
        telemetry: Telemetry | None = None,
    ) -> None:
        self._store = store
        self._telemetry = telemetry
        self._retention_days = retention_days
        self._clock = clock
        self._lock = threading.Lock()
        self._last_fold: datetime | None = None

    def record(self, call: ApiCall) -> None:
        """Log one call (and count it for telemetry), then fold old rows if that is due."""
        if self._telemetry is not None:
            self._telemetry.count("feature.api_request")
        self._store.usage.record(call)
        self.fold_if_due()

    def fold_if_due(self) -> int:
        """Fold rows past the retention period, unless that was done within the hour."""
        now = self._clock()
        with self._lock:
            if self._last_fold is not None and now - self._last_fold < FOLD_INTERVAL:
                return 0
            self._last_fold = now
        return self._store.usage.fold(before=now - timedelta(days=self._retention_days()))

    def daily_totals(self, days: int | None = None) -> list[DailyUsage]:
        """Each day's totals, newest first; only the last ``days`` days when given."""
        since = None if days is None else self._clock().date() - timedelta(days=days - 1)
        return self._store.usage.daily_totals(since=since)
