"""The service's usage log: rows past the retention setting are folded, at most once an hour."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from nexthub.service.api_usage import ApiCall, ApiUsage
from nexthub.store import ChatStore

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[ChatStore]:
    with ChatStore.open(db_path, key) as opened:
        yield opened


def call(at: datetime) -> ApiCall:
    return ApiCall(at, "nh-abcd", "/v1/chat/completions", "smollm2", 200, 12, 3, 250)


def test_rows_older_than_the_retention_are_folded_when_a_call_is_recorded(
    store: ChatStore,
) -> None:
    clock = Clock()
    retention = [30]
    usage = ApiUsage(store, lambda: retention[0], clock)
    usage.record(call(START - timedelta(days=31)))  # older than 30 days: folded at once
    usage.record(call(START - timedelta(days=29)))
    assert [row.at for row in store.usage.calls()] == [START - timedelta(days=29)]

    # Shorter retention, but within the hour: nothing more is folded yet.
    retention[0] = 7
    clock.now += timedelta(minutes=30)
    usage.record(call(clock.now))
    assert len(store.usage.calls()) == 2
    clock.now += timedelta(minutes=31)
    usage.record(call(clock.now))
    assert [row.at for row in store.usage.calls()] == [START + timedelta(minutes=30), clock.now]
    # Folded or not, every call is in the totals.
    assert sum(total.calls for total in usage.daily_totals()) == 4
    assert [total.day for total in usage.daily_totals(days=1)] == [clock.now.date()]
