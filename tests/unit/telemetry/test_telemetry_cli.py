"""``nexthub telemetry on|off|show|sent``: what a user types, and the bytes they see."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nexthub.cli.main import main
from nexthub.paths import AppPaths
from nexthub.service.telemetry_access import open_telemetry
from nexthub.telemetry.period import Period
from tests.unit.telemetry.helpers import Places


@pytest.fixture(autouse=True)
def tracking_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)


def run(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[bytes, str]:
    assert main(["telemetry", *args]) == 0
    captured = capsysbinary.readouterr()
    return captured.out, captured.err.decode()


def test_show_while_off_previews_an_empty_report_and_writes_nothing(
    places: Places, capsysbinary: pytest.CaptureFixture[bytes], nexthub_home: Path
) -> None:
    out, err = run(capsysbinary, "show")
    assert "off" in err
    report = json.loads(out)
    assert report["counters"]["feature.chat"] == 0
    assert not nexthub_home.exists()


def test_show_prints_the_exact_bytes_of_this_weeks_report(
    places: Places, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    run(capsysbinary, "on")
    telemetry = open_telemetry(AppPaths.from_environment())
    telemetry.count("feature.export")
    telemetry.flush()

    out, err = run(capsysbinary, "show")
    assert "This week" in err
    assert out == (places.folder / "current.json").read_bytes()
    assert json.loads(out)["counters"]["feature.export"] == 1


def test_off_deletes_everything_and_sent_shows_what_went_out(
    places: Places, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    run(capsysbinary, "on")
    _, err = run(capsysbinary, "sent")
    assert "No report has been sent" in err
    sent = places.folder / "sent" / "2026-W01.json"
    sent.parent.mkdir(parents=True)
    sent.write_bytes(b'{"exactly":"as sent"}\n')
    out, err = run(capsysbinary, "sent")
    assert out == b'{"exactly":"as sent"}\n' and Period(2026, 1).label in err

    _, err = run(capsysbinary, "off")
    assert "deleted" in err
    assert not places.folder.exists()
    out, _ = run(capsysbinary, "sent")
    assert out == b""


def test_do_not_track_keeps_it_off_after_on(
    places: Places, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DO_NOT_TRACK", "1")
    _, err = run(capsysbinary, "on")
    assert "DO_NOT_TRACK" in err
    _, err = run(capsysbinary, "show")
    assert "DO_NOT_TRACK is set" in err
