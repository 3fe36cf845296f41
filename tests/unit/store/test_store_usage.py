"""The API usage log: calls are kept as metadata, then folded into daily totals and deleted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from nexthub.store import ChatStore
from nexthub.store.usage import ApiCall, DailyUsage

DAY = datetime(2026, 10, 1, 9, 30, tzinfo=UTC)
CHAT = "/v1/chat/completions"


@pytest.fixture
def store(db_path: Path, key: bytes) -> Iterator[ChatStore]:
    with ChatStore.open(db_path, key) as opened:
        yield opened


def call(at: datetime, prefix: str = "nh-aaaa", status: int = 200, **fields: object) -> ApiCall:
    values: dict[str, object] = {
        "endpoint": CHAT,
        "model": "smollm2",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "latency_ms": 100,
        **fields,
    }
    return ApiCall(at, prefix, status=status, **values)  # type: ignore[arg-type]


def test_calls_are_kept_as_logged(store: ChatStore) -> None:
    made = [call(DAY), call(DAY + timedelta(minutes=1), status=400, model=None, prompt_tokens=0)]
    for each in made:
        store.usage.record(each)
    assert store.usage.calls() == made


def test_totals_add_up_per_day_key_and_model_before_and_after_folding(store: ChatStore) -> None:
    for each in (
        call(DAY),
        call(DAY + timedelta(hours=3), latency_ms=300),
        call(DAY + timedelta(hours=4), status=503, completion_tokens=0),
        call(DAY, prefix="nh-bbbb"),
        call(DAY + timedelta(days=1)),
    ):
        store.usage.record(each)
    expected = [
        DailyUsage(date(2026, 10, 2), "nh-aaaa", CHAT, "smollm2", 1, 0, 10, 5, 100),
        DailyUsage(date(2026, 10, 1), "nh-aaaa", CHAT, "smollm2", 3, 1, 30, 10, 500),
        DailyUsage(date(2026, 10, 1), "nh-bbbb", CHAT, "smollm2", 1, 0, 10, 5, 100),
    ]
    assert store.usage.daily_totals() == expected

    folded = store.usage.fold(before=datetime(2026, 10, 2, tzinfo=UTC))
    assert folded == 4
    assert store.usage.calls() == [call(DAY + timedelta(days=1))]  # the newer one stays raw
    assert store.usage.daily_totals() == expected
    assert store.usage.daily_totals(since=date(2026, 10, 2)) == expected[:1]


def test_folding_twice_into_the_same_day_adds_rather_than_replaces(store: ChatStore) -> None:
    store.usage.record(call(DAY))
    store.usage.fold(before=DAY + timedelta(minutes=1))
    store.usage.record(call(DAY + timedelta(hours=1), model=None, status=400))
    store.usage.record(call(DAY + timedelta(hours=2)))
    assert store.usage.fold(before=DAY + timedelta(days=1)) == 2
    assert store.usage.calls() == []
    assert store.usage.daily_totals() == [
        DailyUsage(date(2026, 10, 1), "nh-aaaa", CHAT, None, 1, 1, 10, 5, 100),
        DailyUsage(date(2026, 10, 1), "nh-aaaa", CHAT, "smollm2", 2, 0, 20, 10, 200),
    ]


def test_the_log_survives_reopening(db_path: Path, key: bytes) -> None:
    with ChatStore.open(db_path, key) as store:
        store.usage.record(call(DAY))
        store.usage.fold(before=DAY + timedelta(days=1))
        store.usage.record(call(DAY + timedelta(days=2)))
    with ChatStore.open(db_path, key) as store:
        assert len(store.usage.calls()) == 1
        assert [total.calls for total in store.usage.daily_totals()] == [1, 1]
