"""When a finished period's report is sent, retried, or given up.

A report is sent at a random moment in a window after its week ends (so the
collector cannot tell installs apart by when they report, and does not see
every install at midnight on Monday), retried a few times with growing,
jittered delays, and dropped once it is too old to be worth anything. Pure
functions of a clock reading and a random generator, so tests cover them
across seeds without sleeping.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from nexthub.telemetry.period import Period


@dataclass(frozen=True)
class SendPolicy:
    """The timing rules (defaults: within 3 days of the week's end, 5 tries, 4 weeks)."""

    window: timedelta = timedelta(days=3)
    first_retry: timedelta = timedelta(hours=1)
    max_attempts: int = 5
    stale_after: timedelta = timedelta(days=28)


@dataclass(frozen=True)
class Plan:
    """When a report is next tried, and how many tries it has had."""

    send_at: datetime
    attempts: int = 0

    def to_json(self) -> dict[str, int]:
        """Kept only on this machine, next to the report; never sent."""
        return {"send_at": int(self.send_at.timestamp()), "attempts": self.attempts}

    @classmethod
    def from_json(cls, raw: object) -> Plan | None:
        """Read a stored plan; None when it is damaged."""
        if not isinstance(raw, dict):
            return None
        send_at, attempts = raw.get("send_at"), raw.get("attempts")
        if not isinstance(send_at, int) or not isinstance(attempts, int):
            return None
        return cls(datetime.fromtimestamp(send_at, UTC), attempts)


def first_plan(period: Period, policy: SendPolicy, rng: random.Random) -> Plan:
    """A random moment in the window after the period ends."""
    offset = rng.uniform(0, policy.window.total_seconds())
    return Plan(period.end + timedelta(seconds=offset))


def is_stale(period: Period, now: datetime, policy: SendPolicy) -> bool:
    """True once the report is too old to send."""
    return now >= period.end + policy.stale_after


def after_failure(
    period: Period, plan: Plan, now: datetime, policy: SendPolicy, rng: random.Random
) -> Plan | None:
    """The next try after a failed one, or None when the report is given up."""
    attempts = plan.attempts + 1
    if attempts >= policy.max_attempts:
        return None
    delay = policy.first_retry * (2 ** (attempts - 1)) * rng.uniform(1.0, 2.0)
    retry = Plan(now + delay, attempts)
    return None if is_stale(period, retry.send_at, policy) else retry
