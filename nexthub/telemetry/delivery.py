"""Delivering finished weeks' reports, on a background thread that never blocks the app.

:class:`Courier` applies the rules of :mod:`schedule` to the outbox: a report
is sent when its moment comes, kept exactly as sent, retried after a failure,
dropped when refused, given up or stale. :class:`TelemetryThread` runs the
flush and the courier every few minutes on a daemon thread; its failures are
logged at debug level and affect nothing else.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from nexthub.telemetry.consent import Consent
from nexthub.telemetry.recorder import Telemetry
from nexthub.telemetry.schedule import after_failure, is_stale
from nexthub.telemetry.sender import Post, SendResult, post_report

log = logging.getLogger(__name__)

#: How often the background thread writes counts and looks at the outbox.
FLUSH_EVERY = timedelta(minutes=10)


class Courier:
    """Sends what is due from the outbox of one :class:`Telemetry`."""

    def __init__(self, telemetry: Telemetry, endpoint: str, post: Post = post_report) -> None:
        self.telemetry = telemetry
        self.endpoint = endpoint
        self.post = post

    def deliver_due(self) -> list[SendResult]:
        """Try every report whose moment has come; returns what became of each try."""
        results: list[SendResult] = []
        store, policy = self.telemetry.store, self.telemetry.policy
        for pending in store.pending():
            if self.telemetry.consent() is not Consent.ON:
                break  # turned off meanwhile: send nothing more
            now = self.telemetry.clock()
            if is_stale(pending.period, now, policy):
                store.drop(pending.period)
                continue
            if pending.plan.send_at > now:
                continue
            result = self.post(self.endpoint, pending.body)
            results.append(result)
            if result is SendResult.FAILED:
                retry = after_failure(pending.period, pending.plan, now, policy, self.telemetry.rng)
                if retry is not None:
                    store.save_plan(pending.period, retry)
                    continue
            elif result is SendResult.SENT and self.telemetry.consent() is Consent.ON:
                store.record_sent(pending.period, pending.body)
            store.drop(pending.period)
        return results

    def next_due(self) -> datetime | None:
        """When the next waiting report is due, if any."""
        plans = [pending.plan.send_at for pending in self.telemetry.store.pending()]
        return min(plans, default=None)


class TelemetryThread:
    """Flushes and delivers in the background until stopped (daemon: never holds up exit)."""

    def __init__(self, courier: Courier, every: timedelta = FLUSH_EVERY) -> None:
        self.courier = courier
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="telemetry", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop the thread (waiting at most ``timeout``: a send in flight is abandoned)."""
        self._stop.set()
        self._thread.join(timeout)
        self.courier.telemetry.flush()

    def _run(self) -> None:
        while True:
            delay = self.every
            try:
                self.courier.telemetry.flush()
                self.courier.deliver_due()
                due = self.courier.next_due()
                if due is not None:
                    wait = due - self.courier.telemetry.clock()
                    delay = max(min(delay, wait), timedelta(seconds=1))
            except Exception:  # a telemetry failure must never reach the app
                log.debug("telemetry round failed", exc_info=True)
            if self._stop.wait(delay.total_seconds()):
                return
