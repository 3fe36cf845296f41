"""Reporting periods: ISO weeks in UTC, named like ``2026-W19``.

A report carries only its week's name, never a finer time, so two installs
with the same activity in the same week send the same bytes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_LABEL = re.compile(r"^(\d{4})-W(\d{2})$")
WEEK = timedelta(days=7)


@dataclass(frozen=True, order=True)
class Period:
    """One ISO week."""

    year: int
    week: int

    @classmethod
    def containing(cls, moment: datetime) -> Period:
        """The week ``moment`` (timezone-aware) falls in, in UTC."""
        iso = moment.astimezone(UTC).isocalendar()
        return cls(iso.year, iso.week)

    @classmethod
    def parse(cls, label: str) -> Period:
        """Read a label such as ``2026-W19``; ValueError when it names no week."""
        match = _LABEL.match(label)
        if not match:
            raise ValueError("not a week label")
        period = cls(int(match[1]), int(match[2]))
        date.fromisocalendar(period.year, period.week, 1)  # ValueError for week 54
        return period

    @property
    def label(self) -> str:
        """The name a report carries."""
        return f"{self.year:04d}-W{self.week:02d}"

    @property
    def start(self) -> datetime:
        """Monday 00:00 UTC."""
        monday = date.fromisocalendar(self.year, self.week, 1)
        return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The next Monday 00:00 UTC (the first moment not in this week)."""
        return self.start + WEEK
