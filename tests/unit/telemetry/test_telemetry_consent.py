"""Consent: off by default, DO_NOT_TRACK wins, a new schema asks again, off forgets all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from nexthub.telemetry import Consent, read_consent, turn_off, turn_on
from nexthub.telemetry.registry import REGISTRY_FILE, load_registry
from tests.unit.telemetry.helpers import Clock, Places, make_telemetry


def test_off_until_the_user_says_yes_and_nothing_is_written(places: Places, clock: Clock) -> None:
    telemetry = make_telemetry(places, clock)
    assert telemetry.consent() is Consent.ASK
    telemetry.count("feature.chat")
    telemetry.observe("perf.first_token_ms", 200)
    telemetry.crash(ValueError("x"))
    telemetry.flush()
    assert not places.folder.exists()
    assert not places.consent_file.exists()


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_do_not_track_forces_it_off(places: Places, clock: Clock, value: str) -> None:
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, clock, DO_NOT_TRACK=value)
    assert telemetry.consent() is Consent.FORCED_OFF
    telemetry.count("feature.chat")
    telemetry.flush()
    assert not places.folder.exists()
    assert make_telemetry(places, clock, DO_NOT_TRACK="0").consent() is Consent.ON


def test_a_new_schema_asks_again(places: Places, tmp_path: Path) -> None:
    turn_on(places.consent_file)
    newer = tmp_path / "registry.toml"
    newer.write_text(
        REGISTRY_FILE.read_text(encoding="utf-8").replace("schema = 1", "schema = 2", 1),
        encoding="utf-8",
    )
    registry_2 = load_registry(newer)
    assert read_consent(places.consent_file, environ={}) is Consent.ON
    assert read_consent(places.consent_file, registry_2, environ={}) is Consent.ASK
    turn_on(places.consent_file, registry_2)
    assert read_consent(places.consent_file, registry_2, environ={}) is Consent.ON


def test_a_no_stays_a_no_across_schemas(places: Places) -> None:
    turn_off(places.consent_file, places.folder)
    assert read_consent(places.consent_file, environ={}) is Consent.OFF


def test_a_damaged_consent_file_counts_as_no_answer(places: Places) -> None:
    places.consent_file.parent.mkdir(parents=True)
    places.consent_file.write_text('{"enabled": "yes please"', encoding="utf-8")
    assert read_consent(places.consent_file, environ={}) is Consent.ASK


def test_turning_it_off_deletes_the_folder_and_drops_unsaved_counts(
    places: Places, clock: Clock
) -> None:
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, clock)
    telemetry.count("feature.chat")
    telemetry.flush()
    clock.advance(timedelta(days=7))  # the week is finished and waits in the outbox
    telemetry.count("feature.search")
    telemetry.flush()
    assert telemetry.store.pending()
    telemetry.count("feature.export")  # counted in memory when "off" comes from elsewhere

    turn_off(places.consent_file, places.folder)
    telemetry.flush()

    assert not places.folder.exists()
    assert places.consent_file.read_text(encoding="utf-8") == '{"enabled": false, "schema": 1}\n'
