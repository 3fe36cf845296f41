"""Telemetry's folder: this week's counts, reports waiting to be sent, the last ones sent.

``current.json`` is the report of the week in progress, in the exact form it
will be sent; ``outbox/`` holds finished weeks' reports with their send plan;
``sent/`` keeps the last few reports exactly as they went out, for the user to
read. Nothing else is ever written, and deleting the folder forgets it all.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from nexthub.telemetry.files import read_or_none, write_atomically
from nexthub.telemetry.period import Period
from nexthub.telemetry.registry import Registry
from nexthub.telemetry.report import ReportError, build_report, decode, encode
from nexthub.telemetry.schedule import Plan
from nexthub.telemetry.tally import Tally

#: How many sent reports are kept for ``nexthub telemetry sent``.
KEEP_SENT = 5
_REPORT = ".json"
_PLAN = ".plan"


@dataclass(frozen=True)
class Current:
    """The week in progress: its counts and the device classes last seen."""

    period: Period
    tally: Tally
    device: dict[str, str]

    def report_bytes(self) -> bytes:
        """The report as it would be sent if the week ended now."""
        return encode(build_report(self.tally, self.period, self.device))


@dataclass(frozen=True)
class Pending:
    """A finished week's report, waiting in the outbox."""

    period: Period
    body: bytes
    plan: Plan


class LocalStore:
    """Reads and writes telemetry's one folder (given by the caller)."""

    def __init__(self, folder: Path, registry: Registry) -> None:
        self.folder = folder
        self.registry = registry

    @property
    def current_file(self) -> Path:
        """The week in progress."""
        return self.folder / "current.json"

    @property
    def outbox_dir(self) -> Path:
        """Finished weeks waiting to be sent."""
        return self.folder / "outbox"

    @property
    def sent_dir(self) -> Path:
        """The last reports sent, exactly as sent."""
        return self.folder / "sent"

    def read_current(self) -> Current | None:
        """The week in progress, or None (missing, damaged or of another schema)."""
        raw = read_or_none(self.current_file)
        if raw is None:
            return None
        try:
            report = decode(raw, self.registry)
        except ReportError:
            return None
        tally = Tally.from_sections(self.registry, report)
        return Current(Period.parse(report["period"]), tally, report["device"])

    def write_current(self, current: Current) -> None:
        """Save the week in progress."""
        write_atomically(self.current_file, current.report_bytes())

    def finish(self, current: Current, plan: Plan) -> None:
        """Move a finished week into the outbox with its send plan."""
        self.save_plan(current.period, plan)
        write_atomically(self._outbox(current.period, _REPORT), current.report_bytes())
        self.current_file.unlink(missing_ok=True)

    def pending(self) -> list[Pending]:
        """Reports waiting to be sent, oldest first (damaged ones are left out)."""
        found = []
        for path in sorted(self.outbox_dir.glob(f"*{_REPORT}")):
            body = read_or_none(path)
            raw_plan = read_or_none(path.with_suffix(_PLAN))
            try:
                period = Period.parse(path.stem)
                plan = Plan.from_json(json.loads(raw_plan)) if raw_plan else None
            except ValueError:
                continue
            if body is not None and plan is not None:
                found.append(Pending(period, body, plan))
        return found

    def save_plan(self, period: Period, plan: Plan) -> None:
        """Record when a waiting report is tried next."""
        data = json.dumps(plan.to_json(), sort_keys=True).encode("ascii")
        write_atomically(self._outbox(period, _PLAN), data)

    def drop(self, period: Period) -> None:
        """Forget a waiting report (sent, refused, or too old)."""
        for suffix in (_REPORT, _PLAN):
            self._outbox(period, suffix).unlink(missing_ok=True)

    def record_sent(self, period: Period, body: bytes) -> None:
        """Keep the bytes just sent, and only the last few of them."""
        write_atomically(self.sent_dir / f"{period.label}{_REPORT}", body)
        for old in self.sent_files()[:-KEEP_SENT]:
            old.unlink(missing_ok=True)

    def sent_files(self) -> list[Path]:
        """The kept sent reports, oldest first."""
        return sorted(self.sent_dir.glob(f"*{_REPORT}"))

    def _outbox(self, period: Period, suffix: str) -> Path:
        return self.outbox_dir / f"{period.label}{suffix}"
