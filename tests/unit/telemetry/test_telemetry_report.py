"""A report holds only the registry's shape: capped cells, __other__, canonical bytes."""

from __future__ import annotations

import json

import pytest

from nexthub.telemetry.device import DeviceFacts, device_classes
from nexthub.telemetry.period import Period
from nexthub.telemetry.registry import default_registry
from nexthub.telemetry.report import ReportError, build_report, decode, encode
from nexthub.telemetry.signature import crash_signature
from nexthub.telemetry.tally import Tally
from tests.unit.telemetry.helpers import DEVICE, GIB

WEEK = Period(2026, 19)


def report_of(tally: Tally) -> dict[str, object]:
    return json.loads(encode(build_report(tally, WEEK, device_classes(DEVICE))))


def test_unknown_labels_become_other_and_unknown_metrics_are_dropped() -> None:
    tally = Tally(default_registry())
    assert tally.count("app.started", "desktop")
    assert tally.count("app.started", "/home/ann/secret-plan.txt")
    assert not tally.count("feature.telepathy")
    assert not tally.count("feature.chat", "a label it does not have")
    assert not tally.observe("perf.decode_tokens_per_s", float("nan"))
    report = report_of(tally)
    assert report["labelled"]["app.started"] == {  # type: ignore[index]
        "desktop": 1,
        "terminal": 0,
        "server": 0,
        "__other__": 1,
    }
    assert "feature.telepathy" not in json.dumps(report)


def test_counts_stop_at_the_cap() -> None:
    registry = default_registry()
    tally = Tally(registry)
    for _ in range(registry.cap + 50):
        tally.count("feature.chat")
        tally.observe("perf.first_token_ms", 300)
    report = report_of(tally)
    assert report["counters"]["feature.chat"] == registry.cap  # type: ignore[index]
    assert max(report["histograms"]["perf.first_token_ms"]) == registry.cap  # type: ignore[index]
    decode(encode(report), registry)  # still a valid report


def test_histogram_buckets_split_at_their_edges() -> None:
    tally = Tally(default_registry())
    for value in (0.2, 1, 1.9, 2, 300, -5):
        tally.observe("perf.decode_tokens_per_s", value)
    # buckets: <1, 1-2, 2-4, ..., 128-256, >=256
    assert report_of(tally)["histograms"]["perf.decode_tokens_per_s"] == [  # type: ignore[index]
        2, 2, 1, 0, 0, 0, 0, 0, 0, 1,
    ]  # fmt: skip


def test_device_classes_are_coarse() -> None:
    odd = DeviceFacts("12.34.5rc1+local", "Haiku", "riscv64", 3 * GIB, "rocm", 24 * GIB)
    assert device_classes(odd) == {
        "os": "other",
        "arch": "other",
        "ram": "<4GiB",
        "gpu": "other",
        "vram": "16-32GiB",
        "app": "12.34",
    }
    assert device_classes(DEVICE)["ram"] == "16-32GiB"
    assert device_classes(DeviceFacts("dev", "Darwin", "arm64", 64 * GIB))["app"] == "0.0"


def test_crash_signatures_name_only_nexthubs_own_frames() -> None:
    secret = "my diary: /home/ann/notes.txt"

    def user_code() -> None:
        Period.parse(secret)

    with pytest.raises(ValueError) as caught:
        user_code()
    kind, frames = crash_signature(caught.value, 8)
    assert kind == "ValueError"
    assert frames == ("<external>", "nexthub.telemetry.period:Period.parse")


def test_too_many_crash_signatures_are_counted_as_other() -> None:
    registry = default_registry()
    tally = Tally(registry)
    limit = registry.crashes.max_signatures
    for index in range(limit + 3):
        tally.crash(("ValueError", (f"nexthub.fake:f{index}",)))
    report = report_of(tally)
    assert len(report["crashes"]) == limit + 1  # type: ignore[arg-type]
    assert {"type": "__other__", "frames": [], "count": 3} in report["crashes"]  # type: ignore[operator]


def test_the_bytes_are_canonical() -> None:
    tally = Tally(default_registry())
    tally.count("feature.chat")
    body = encode(build_report(tally, WEEK, device_classes(DEVICE)))
    assert body.endswith(b"}\n") and b" " not in body
    assert body == encode(json.loads(body))
    assert body.isascii()


@pytest.mark.parametrize(
    "spoil",
    [
        lambda r: r.update(install_id="abc123"),
        lambda r: r["counters"].update(extra=1),
        lambda r: r["counters"].update({"feature.chat": True}),
        lambda r: r["counters"].update({"feature.chat": -1}),
        lambda r: r["counters"].update({"feature.chat": 10**9}),
        lambda r: r["counters"].update({"feature.chat": 1.5}),
        lambda r: r["device"].update(os="Ubuntu 24.04 on ann-laptop"),
        lambda r: r["device"].update(app="0.4.2"),
        lambda r: r["labelled"]["app.started"].pop("desktop"),
        lambda r: r["histograms"]["perf.context_tokens"].append(0),
        lambda r: r.update(period="2026-05-06"),
        lambda r: r.update(schema=2),
        lambda r: r["crashes"].append({"type": "ValueError", "frames": ["a b"], "count": 1}),
        lambda r: r["crashes"].append({"type": "x: y", "frames": [], "count": 1}),
    ],
)
def test_anything_off_the_schema_is_refused(spoil: object) -> None:
    registry = default_registry()
    report = report_of(Tally(registry))
    decode(encode(report), registry)
    spoil(report)  # type: ignore[operator]
    with pytest.raises(ReportError):
        decode(encode(report), registry)


def test_non_json_bodies_are_refused() -> None:
    for body in (b"", b"\xff\xfe", b"[1, 2]", b'{"schema": NaN}', b"[" * 100_000):
        with pytest.raises(ReportError):
            decode(body, default_registry())
