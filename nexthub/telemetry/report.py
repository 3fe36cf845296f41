"""The report: its exact bytes, and the check every report must pass.

A report is canonical JSON (sorted keys, no spaces, ASCII, one trailing
newline), so the bytes a user previews are the bytes sent, and equal activity
gives equal bytes. :func:`check_report` is the schema: the recorder uses it on
its own files and the collector on every body it receives, so both sides
agree on what a report may hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from nexthub.telemetry.device import APP_VERSION_PATTERN
from nexthub.telemetry.period import Period
from nexthub.telemetry.registry import APP_VERSION_DIMENSION, Metric, MetricKind, Registry
from nexthub.telemetry.signature import EXTERNAL
from nexthub.telemetry.tally import Tally

SECTIONS = ("schema", "period", "device", "counters", "labelled", "histograms", "crashes")
#: A crash type or frame: dotted identifiers, a colon, a dotted qualified name.
_CODE_NAME = re.compile(r"^[A-Za-z_][\w.]{0,120}:[A-Za-z_<][\w.<>]{0,120}$", re.ASCII)
_TYPE_NAME = re.compile(r"^[A-Za-z_]\w{0,60}$", re.ASCII)


_SECTION_KINDS: dict[str, MetricKind] = {
    "counters": "counter",
    "labelled": "labelled",
    "histograms": "histogram",
}


class ReportError(ValueError):
    """A report does not match the registry (the collector answers 4xx)."""


def build_report(tally: Tally, period: Period, device: dict[str, str]) -> dict[str, Any]:
    """The report of one period, as plain JSON values."""
    return {
        "schema": tally.registry.schema,
        "period": period.label,
        "device": dict(device),
        **tally.sections(),
    }


def encode(report: dict[str, Any]) -> bytes:
    """The canonical bytes of a report."""
    text = json.dumps(report, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return text.encode("ascii") + b"\n"


def decode(body: bytes, registry: Registry) -> dict[str, Any]:
    """Parse and check a report's bytes; ReportError when they are not a valid report."""
    try:
        report = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ReportError("not JSON") from exc
    check_report(report, registry)
    return dict(report)


def _refuse_constant(name: str) -> float:
    raise ReportError("not JSON")


def check_report(report: Any, registry: Registry) -> None:
    """Raise ReportError unless ``report`` has exactly the registry's shape."""
    _keys(report, set(SECTIONS), "report")
    if not _is_int(report["schema"]) or report["schema"] != registry.schema:
        raise ReportError("unsupported schema")
    if not isinstance(report["period"], str):
        raise ReportError("bad period")
    try:
        Period.parse(report["period"])
    except ValueError:
        raise ReportError("bad period") from None
    _check_device(report["device"], registry)
    _section(report, "counters", registry, lambda metric, value: [value])
    _section(report, "labelled", registry, _labelled_cells)
    _section(report, "histograms", registry, _histogram_cells)
    _check_crashes(report["crashes"], registry)


def _section(
    report: dict[str, Any],
    section: str,
    registry: Registry,
    cells_of: Callable[[Metric, Any], list[Any]],
) -> None:
    """One counting section: exactly its metrics, each's cells whole counts within the cap."""
    kind = _SECTION_KINDS[section]
    values = report[section]
    _keys(values, {m.name for m in registry.of_kind(kind)}, section)
    for metric in registry.of_kind(kind):
        for value in cells_of(metric, values[metric.name]):
            _count(value, registry.cap, 0)


def _labelled_cells(metric: Metric, cells: Any) -> list[Any]:
    _keys(cells, set(metric.report_labels), metric.name)
    return list(cells.values())


def _histogram_cells(metric: Metric, bins: Any) -> list[Any]:
    if not isinstance(bins, list) or len(bins) != len(metric.buckets) + 1:
        raise ReportError(f"{metric.name}: wrong number of buckets")
    return bins


def _check_device(device: Any, registry: Registry) -> None:
    _keys(device, {d.name for d in registry.device}, "device")
    for dimension in registry.device:
        value = device[dimension.name]
        if not isinstance(value, str):
            raise ReportError(f"device.{dimension.name}: not a string")
        if dimension.name == APP_VERSION_DIMENSION:
            if not APP_VERSION_PATTERN.match(value):
                raise ReportError("device.app: not X.Y")
        elif value not in dimension.classes:
            raise ReportError(f"device.{dimension.name}: not a declared class")


def _check_crashes(crashes: Any, registry: Registry) -> None:
    rules = registry.crashes
    if not isinstance(crashes, list) or len(crashes) > rules.max_signatures + 1:
        raise ReportError("crashes: not a list of signatures")
    seen: list[tuple[str, tuple[str, ...]]] = []
    for entry in crashes:
        _keys(entry, {"type", "frames", "count"}, "crash")
        kind, frames = entry["type"], entry["frames"]
        if not isinstance(kind, str) or not (_TYPE_NAME.match(kind) or _CODE_NAME.match(kind)):
            raise ReportError("crash: bad type")
        if not isinstance(frames, list) or len(frames) > rules.max_frames:
            raise ReportError("crash: bad frames")
        for frame in frames:
            if not isinstance(frame, str) or not (frame == EXTERNAL or _CODE_NAME.match(frame)):
                raise ReportError("crash: bad frame")
        _count(entry["count"], registry.cap, 1)
        seen.append((kind, tuple(frames)))
    if seen != sorted(set(seen)):
        raise ReportError("crashes: not sorted, or repeated")


def _keys(value: Any, expected: set[str], where: str) -> None:
    if not isinstance(value, dict):
        raise ReportError(f"{where}: not an object")
    if set(value) != expected:
        # Never echo the unexpected names: they are the sender's, not ours.
        raise ReportError(f"{where}: fields missing or not allowed")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _count(value: Any, cap: int, least: int) -> None:
    if not _is_int(value) or not least <= value <= cap:
        raise ReportError("a count is not a whole number in range")
