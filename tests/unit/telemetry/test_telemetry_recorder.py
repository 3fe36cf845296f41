"""Recording: counts reach the folder as this week's report; finished weeks wait to be sent."""

from __future__ import annotations

import json
from datetime import timedelta

from nexthub.telemetry import turn_on
from nexthub.telemetry.period import Period
from tests.unit.telemetry.helpers import Clock, Places, make_telemetry


def some_activity(places: Places, clock: Clock, seed: int) -> bytes:
    """A scripted week of use; returns the finished week's report."""
    telemetry = make_telemetry(places, clock, seed=seed)
    telemetry.count("app.started", "desktop")
    for speed in (12.5, 30, 31):
        telemetry.count("feature.chat")
        telemetry.observe("perf.decode_tokens_per_s", speed)
    telemetry.count("model.loaded", "qwen2.5")
    telemetry.flush()
    telemetry.count("model.loaded", "Ann's-private-finetune.gguf")
    try:
        Period.parse("not a week")
    except ValueError as exc:
        telemetry.crash(exc)
    telemetry.flush()
    clock.advance(timedelta(days=7))
    telemetry.flush()
    [pending] = telemetry.store.pending()
    return pending.body


def test_two_installs_with_the_same_activity_send_the_same_bytes(places: Places) -> None:
    turn_on(places.consent_file)
    first = some_activity(places, Clock(), seed=1)
    places.folder.rename(places.folder.with_name("first-install"))
    second = some_activity(places, Clock(), seed=2)  # another install: other random draws
    assert first == second
    report = json.loads(first)
    assert report["period"] == "2026-W19"
    assert report["counters"]["feature.chat"] == 3
    assert report["labelled"]["model.loaded"]["custom"] == 1
    assert report["labelled"]["model.loaded"]["qwen2.5"] == 1
    assert report["crashes"][0]["type"] == "ValueError"


def test_counts_go_to_the_week_they_happened_in(places: Places, clock: Clock) -> None:
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, clock)
    telemetry.count("feature.chat")
    clock.advance(timedelta(days=7))
    telemetry.count("feature.search")
    telemetry.flush()
    [pending] = telemetry.store.pending()
    assert json.loads(pending.body)["counters"]["feature.chat"] == 1
    assert json.loads(pending.body)["counters"]["feature.search"] == 0
    current = telemetry.store.read_current()
    assert current is not None and current.period.label == "2026-W20"
    assert current.tally.counters["feature.search"] == 1


def test_a_week_without_activity_sends_nothing(places: Places, clock: Clock) -> None:
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, clock)
    telemetry.flush()
    clock.advance(timedelta(days=14))
    telemetry.flush()
    assert telemetry.store.pending() == []


def test_two_processes_add_up(places: Places, clock: Clock) -> None:
    turn_on(places.consent_file)
    app, server = make_telemetry(places, clock), make_telemetry(places, clock)
    app.count("feature.chat")
    server.count("feature.api_request")
    app.flush()
    server.flush()
    current = app.store.read_current()
    assert current is not None
    assert current.tally.counters["feature.chat"] == 1
    assert current.tally.counters["feature.api_request"] == 1


def test_a_damaged_week_file_is_started_again(places: Places, clock: Clock) -> None:
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, clock)
    places.folder.mkdir(parents=True)
    (places.folder / "current.json").write_bytes(b'{"schema": 1, "what')
    telemetry.count("feature.chat")
    telemetry.flush()
    current = telemetry.store.read_current()
    assert current is not None and current.tally.counters["feature.chat"] == 1
