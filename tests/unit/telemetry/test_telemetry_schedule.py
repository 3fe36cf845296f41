"""Sending: a random moment after the week, bounded retries, stale reports dropped.

The real Courier, outbox and schedule, with a hand-moved clock, seeded random
draws and a post function standing in for the network (answers picked by
hypothesis): no test sleeps, none touches a socket.
"""

from __future__ import annotations

import random
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from nexthub.telemetry import Courier, Telemetry, turn_on
from nexthub.telemetry.period import Period
from nexthub.telemetry.schedule import SendPolicy, after_failure, first_plan
from nexthub.telemetry.sender import SendResult, check_endpoint
from tests.unit.telemetry.helpers import DEVICE, MIDWEEK, Clock

POLICY = SendPolicy()
WEEK = Period.containing(MIDWEEK)
ENDPOINT = "https://collector.invalid/v1/reports"


@given(seed=st.integers(0, 2**32))
def test_the_first_try_falls_in_the_window_after_the_week(seed: int) -> None:
    plan = first_plan(WEEK, POLICY, random.Random(seed))  # noqa: S311
    assert WEEK.end <= plan.send_at < WEEK.end + POLICY.window
    assert plan.attempts == 0


@given(seed=st.integers(0, 2**32))
def test_retries_are_bounded_and_never_past_staleness(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311
    plan = first_plan(WEEK, POLICY, rng)
    tries = 1
    while (retry := after_failure(WEEK, plan, plan.send_at, POLICY, rng)) is not None:
        assert retry.send_at > plan.send_at
        assert retry.send_at < WEEK.end + POLICY.stale_after
        plan, tries = retry, tries + 1
    assert tries <= POLICY.max_attempts


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    answers=st.lists(st.sampled_from(list(SendResult)), max_size=8),
    steps=st.lists(st.integers(1, 72 * 3600), min_size=1, max_size=40),
)
def test_a_report_is_sent_once_at_most_and_never_early_or_stale(
    seed: int, answers: list[SendResult], steps: list[int]
) -> None:
    with tempfile.TemporaryDirectory() as home:
        clock = Clock()
        folder, consent = Path(home) / "telemetry", Path(home) / "telemetry.json"
        turn_on(consent)
        telemetry = Telemetry(
            folder,
            consent,
            DEVICE,
            environ={},
            clock=clock,
            rng=random.Random(seed),  # noqa: S311
        )
        telemetry.count("feature.chat")
        clock.advance(timedelta(days=7))
        telemetry.flush()
        posts: list[tuple[object, bytes]] = []
        replies = iter(answers)

        def post(url: str, body: bytes) -> SendResult:
            posts.append((clock.now, body))
            return next(replies, SendResult.FAILED)

        courier = Courier(telemetry, ENDPOINT, post)
        [pending] = telemetry.store.pending()
        for step in steps:
            courier.deliver_due()
            clock.advance(timedelta(seconds=step))
        courier.deliver_due()

        assert len(posts) <= POLICY.max_attempts
        assert all(WEEK.end <= when < WEEK.end + POLICY.stale_after for when, _ in posts)  # type: ignore[operator]
        assert all(body == pending.body for _, body in posts)
        outcomes = answers[: len(posts)]
        sent = [p.read_bytes() for p in telemetry.store.sent_files()]
        if SendResult.SENT in outcomes:
            assert outcomes.index(SendResult.SENT) == len(posts) - 1, "nothing after a success"
            assert sent == [pending.body]
        else:
            assert sent == []
        if clock.now >= WEEK.end + POLICY.stale_after:
            assert telemetry.store.pending() == []


def test_only_https_or_loopback_http_endpoints_are_accepted() -> None:
    assert check_endpoint("https://telemetry.example.org/v1/reports")
    assert check_endpoint("http://127.0.0.1:8790/v1/reports")
    assert check_endpoint("http://[::1]:8790/v1/reports")
    for bad in (
        "http://telemetry.example.org/v1/reports",
        "http://10.0.0.1/v1/reports",
        "https://user:pw@example.org/",
        "https://example.org/?id=1",
        "ftp://example.org/",
    ):
        try:
            check_endpoint(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} was accepted")
