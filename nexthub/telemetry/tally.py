"""A period's counts, shaped by the registry: fixed keys, fixed lengths, capped cells.

Every counter, label and bucket of the registry is always present (zeros
included), so a report's shape never depends on what a user did, and two
installs with the same activity hold equal tallies. Whatever is not declared
is dropped or counted as ``__other__``; no cell passes the registry's cap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from nexthub.telemetry.registry import OTHER, Registry
from nexthub.telemetry.signature import Signature

OTHER_SIGNATURE: Signature = (OTHER, ())


@dataclass
class Tally:
    """Counts for one period (mutable; the recorder guards it with a lock)."""

    registry: Registry
    counters: dict[str, int] = field(default_factory=dict)
    labelled: dict[str, dict[str, int]] = field(default_factory=dict)
    histograms: dict[str, list[int]] = field(default_factory=dict)
    crashes: dict[Signature, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for metric in self.registry.of_kind("counter"):
            self.counters.setdefault(metric.name, 0)
        for metric in self.registry.of_kind("labelled"):
            cells = self.labelled.setdefault(metric.name, {})
            for label in metric.report_labels:
                cells.setdefault(label, 0)
        for metric in self.registry.of_kind("histogram"):
            self.histograms.setdefault(metric.name, [0] * (len(metric.buckets) + 1))

    def count(self, name: str, label: str | None = None, times: int = 1) -> bool:
        """Add to a counter (or a labelled counter's label); False when not declared."""
        metric = self.registry.metric(name)
        if metric is None or times < 1:
            return False
        if metric.kind == "counter" and label is None:
            self.counters[name] = self._capped(self.counters[name] + times)
            return True
        if metric.kind == "labelled" and label is not None:
            cells = self.labelled[name]
            key = metric.label_of(label)
            cells[key] = self._capped(cells[key] + times)
            return True
        return False

    def observe(self, name: str, value: float) -> bool:
        """Count ``value`` into its histogram bucket; False when not declared or not a number."""
        metric = self.registry.metric(name)
        if metric is None or metric.kind != "histogram" or not math.isfinite(value):
            return False
        bins = self.histograms[name]
        index = metric.bucket_of(value)
        bins[index] = self._capped(bins[index] + 1)
        return True

    def crash(self, signature: Signature, times: int = 1) -> None:
        """Count one crash signature; past the registry's limit, new ones go to ``__other__``."""
        named = len(self.crashes) - (OTHER_SIGNATURE in self.crashes)
        full = named >= self.registry.crashes.max_signatures
        if signature not in self.crashes and full:
            signature = OTHER_SIGNATURE
        self.crashes[signature] = self._capped(self.crashes.get(signature, 0) + times)

    def merge(self, other: Tally) -> None:
        """Add another tally of the same registry into this one (cells stay capped)."""
        for name, value in other.counters.items():
            self.counters[name] = self._capped(self.counters[name] + value)
        for name, cells in other.labelled.items():
            for label, value in cells.items():
                self.labelled[name][label] = self._capped(self.labelled[name][label] + value)
        for name, bins in other.histograms.items():
            mine = self.histograms[name]
            for index, value in enumerate(bins):
                mine[index] = self._capped(mine[index] + value)
        for signature, value in sorted(other.crashes.items()):
            self.crash(signature, value)

    def is_empty(self) -> bool:
        """True when nothing at all was counted."""
        return not (
            any(self.counters.values())
            or any(any(cells.values()) for cells in self.labelled.values())
            or any(any(bins) for bins in self.histograms.values())
            or self.crashes
        )

    def sections(self) -> dict[str, Any]:
        """The counting sections of a report, as plain JSON values."""
        return {
            "counters": dict(self.counters),
            "labelled": {name: dict(cells) for name, cells in self.labelled.items()},
            "histograms": {name: list(bins) for name, bins in self.histograms.items()},
            "crashes": [
                {"type": kind, "frames": list(frames), "count": value}
                for (kind, frames), value in sorted(self.crashes.items())
            ],
        }

    @classmethod
    def from_sections(cls, registry: Registry, report: dict[str, Any]) -> Tally:
        """A tally from a report already checked by :func:`schema.check_report`."""
        return cls(
            registry,
            counters=dict(report["counters"]),
            labelled={name: dict(cells) for name, cells in report["labelled"].items()},
            histograms={name: list(bins) for name, bins in report["histograms"].items()},
            crashes={
                (entry["type"], tuple(entry["frames"])): entry["count"]
                for entry in report["crashes"]
            },
        )

    def _capped(self, value: int) -> int:
        return min(value, self.registry.cap)
