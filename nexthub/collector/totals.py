"""Totals: every report folded into sums on arrival; nothing else is kept.

Each cell (a counter, a label, a histogram bucket, a device class, a crash
signature) holds two numbers per week: the sum of its counts and how many
reports had it non-zero. The published view leaves out every cell fewer than
``min_reporters`` reports contributed to, and every week with fewer reports
than that, so no published number can be pinned on one install.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from nexthub.telemetry.files import read_or_none, write_atomically

#: Published cells need at least this many contributing reports (by default).
MIN_REPORTERS = 5


def cells_of(report: dict[str, Any]) -> dict[str, int]:
    """A checked report as flat ``section/name/key`` cells with non-zero counts."""
    cells: dict[str, int] = {}
    for dimension, value in report["device"].items():
        cells[f"device/{dimension}/{value}"] = 1
    for name, value in report["counters"].items():
        cells[f"counters/{name}"] = value
    for name, labels in report["labelled"].items():
        for label, value in labels.items():
            cells[f"labelled/{name}/{label}"] = value
    for name, bins in report["histograms"].items():
        for index, value in enumerate(bins):
            cells[f"histograms/{name}/{index}"] = value
    for crash in report["crashes"]:
        cells["crashes/" + " ".join([crash["type"], *crash["frames"]])] = crash["count"]
    return {key: value for key, value in cells.items() if value}


class Totals:
    """The collector's only state: sums per week, in one JSON file."""

    def __init__(self, file: Path, min_reporters: int = MIN_REPORTERS) -> None:
        self.file = file
        self.min_reporters = min_reporters
        self._lock = threading.Lock()

    def fold(self, report: dict[str, Any]) -> None:
        """Add one checked report to its week's totals, and forget the report."""
        with self._lock:
            weeks = self._read()
            week = weeks.setdefault(report["period"], {"reports": 0, "cells": {}})
            week["reports"] += 1
            for key, value in cells_of(report).items():
                cell = week["cells"].setdefault(key, [0, 0])
                cell[0] += value
                cell[1] += 1
            data = json.dumps(weeks, sort_keys=True, separators=(",", ":"))
            write_atomically(self.file, data.encode("ascii"))

    def published(self) -> dict[str, Any]:
        """The totals anyone may see: small weeks and small cells left out."""
        with self._lock:
            weeks = self._read()
        shown: dict[str, Any] = {}
        for period, week in sorted(weeks.items()):
            if week["reports"] < self.min_reporters:
                continue
            shown[period] = {
                "reports": week["reports"],
                "cells": {
                    key: total
                    for key, (total, reporters) in sorted(week["cells"].items())
                    if reporters >= self.min_reporters
                },
            }
        return {"min_reporters": self.min_reporters, "weeks": shown}

    def _read(self) -> dict[str, Any]:
        raw = read_or_none(self.file)
        weeks: dict[str, Any] = json.loads(raw) if raw else {}
        return weeks
