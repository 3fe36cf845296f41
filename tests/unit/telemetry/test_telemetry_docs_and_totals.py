"""docs/TELEMETRY.md matches the registry; the collector's totals hide small cells."""

from __future__ import annotations

import json
from pathlib import Path

from nexthub.collector.totals import Totals
from nexthub.telemetry.device import device_classes
from nexthub.telemetry.docs import render
from nexthub.telemetry.period import Period
from nexthub.telemetry.registry import default_registry
from nexthub.telemetry.report import build_report
from nexthub.telemetry.tally import Tally
from tests.unit.telemetry.helpers import DEVICE

ROOT = Path(__file__).resolve().parents[3]


def test_the_checked_in_doc_is_the_generated_one() -> None:
    checked_in = (ROOT / "docs" / "TELEMETRY.md").read_text(encoding="utf-8")
    assert checked_in == render(default_registry()), (
        "run: python -m nexthub.telemetry.docs > docs/TELEMETRY.md"
    )


def test_the_doc_names_every_metric_and_class() -> None:
    registry = default_registry()
    text = render(registry)
    for metric in registry.metrics:
        assert f"`{metric.name}`" in text
        assert all(f"`{label}`" in text for label in metric.report_labels)
    for dimension in registry.device:
        assert all(f"`{value}`" in text for value in dimension.classes)


def report(chats: int, search: bool) -> dict[str, object]:
    tally = Tally(default_registry())
    for _ in range(chats):
        tally.count("feature.chat")
    if search:
        tally.count("feature.search")
    return build_report(tally, Period(2026, 19), device_classes(DEVICE))


def test_cells_fewer_than_min_reporters_contributed_to_are_left_out(tmp_path: Path) -> None:
    totals = Totals(tmp_path / "totals.json", min_reporters=3)
    for index in range(3):
        totals.fold(report(chats=index + 1, search=index == 0))
    week = totals.published()["weeks"]["2026-W19"]
    assert week["reports"] == 3
    assert week["cells"]["counters/feature.chat"] == 6
    assert week["cells"]["device/os/linux"] == 3
    assert "counters/feature.search" not in week["cells"]  # one install did that


def test_a_week_with_too_few_reports_is_not_published_but_kept(tmp_path: Path) -> None:
    totals = Totals(tmp_path / "totals.json", min_reporters=3)
    totals.fold(report(chats=1, search=False))
    assert totals.published()["weeks"] == {}
    stored = json.loads((tmp_path / "totals.json").read_text(encoding="utf-8"))
    assert stored["2026-W19"]["reports"] == 1
