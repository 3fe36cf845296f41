"""End to end: the app's report travels to a real collector (uvicorn on 127.0.0.1).

The collector runs as ``nexthub collector`` in a subprocess, so its whole
output can be searched afterwards; the sender is the real one, over a real
socket. Nothing here reaches beyond loopback.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from nexthub.cli.main import main
from nexthub.telemetry import Courier, turn_on
from nexthub.telemetry.recorder import utc_now
from nexthub.telemetry.sender import SendResult, post_report
from tests.unit.telemetry.helpers import Clock, Places, make_telemetry, places_here

LOOPBACK = "127.0.0.1"


@dataclass
class Collector:
    url: str
    data: Path
    process: subprocess.Popen[bytes]
    output: Path

    def stop(self) -> str:
        """Stop it and return everything it printed."""
        self.process.terminate()
        self.process.wait(timeout=10)
        return self.output.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[Collector]:
    data, output = tmp_path / "collector", tmp_path / "collector-output.txt"
    command = ["collector", "--port", "0", "--data", str(data), "--min-reporters", "1"]
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "nexthub", *command],
            stdout=subprocess.PIPE,
            stderr=sink,
        )
    assert process.stdout is not None
    first = process.stdout.readline().decode()
    port = int(first.rsplit(" ", 1)[-1])
    with output.open("ab") as sink:
        sink.write(first.encode())
    found = Collector(f"http://{LOOPBACK}:{port}/v1", data, process, output)
    yield found
    if process.poll() is None:
        found.stop()
    process.stdout.close()


def week_of_use(places: Places) -> None:
    """Last week, with telemetry on: a few chats and one crash."""
    turn_on(places.consent_file)
    telemetry = make_telemetry(places, Clock(utc_now() - timedelta(days=7)))
    for _ in range(3):
        telemetry.count("feature.chat")
    telemetry.observe("perf.first_token_ms", 420)
    try:
        {}["/home/ann/secret.txt"]
    except KeyError as exc:
        telemetry.crash(exc)
    telemetry.flush()


def test_the_bytes_received_are_the_bytes_previewed(
    collector: Collector,
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
    nexthub_home: Path,
) -> None:
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)
    places = places_here()
    week_of_use(places)
    assert main(["telemetry", "show"]) == 0  # finishes last week, shows its report first
    previewed = capsysbinary.readouterr().out.splitlines(keepends=True)[0]
    assert json.loads(previewed)["counters"]["feature.chat"] == 3

    later = Clock(utc_now() + timedelta(days=4))  # past the random moment in the window
    courier = Courier(make_telemetry(places, later), f"{collector.url}/reports")
    assert courier.deliver_due() == [SendResult.SENT]  # the collector echoed our digest
    assert [p.read_bytes() for p in courier.telemetry.store.sent_files()] == [previewed]
    assert courier.telemetry.store.pending() == []

    answer = httpx.post(
        f"{collector.url}/reports", content=previewed, headers={"content-type": "application/json"}
    )
    assert answer.status_code == 200
    assert answer.json()["sha256"] == hashlib.sha256(previewed).hexdigest()

    totals = httpx.get(f"{collector.url}/totals").json()
    [week] = totals["weeks"].values()
    assert week["reports"] == 2
    assert week["cells"]["counters/feature.chat"] == 6
    assert week["cells"]["crashes/KeyError <external>"] == 2

    output = collector.stop()
    stored = [p.read_bytes() for p in collector.data.rglob("*") if p.is_file()]
    assert stored, "the collector kept its totals"
    for text in [output.encode(), *stored]:
        assert LOOPBACK.encode() not in text
        assert b"secret" not in text
    assert not any(previewed.strip() in blob for blob in stored), "a raw report was kept"
    assert str(nexthub_home) not in output


def test_reports_off_the_schema_are_refused_and_not_counted(collector: Collector) -> None:
    places = places_here()
    week_of_use(places)
    body = json.loads(places.folder.joinpath("current.json").read_bytes())
    json_type = {"content-type": "application/json"}

    extra = dict(body, install_id="4f1c")
    assert httpx.post(f"{collector.url}/reports", json=extra).status_code == 422
    wrong = dict(body, counters=dict(body["counters"], **{"feature.chat": "3"}))
    assert httpx.post(f"{collector.url}/reports", json=wrong).status_code == 422
    huge = b'{"schema":1,' + b" " * 70_000 + b"}"
    assert (
        httpx.post(f"{collector.url}/reports", content=huge, headers=json_type).status_code == 413
    )
    assert httpx.post(f"{collector.url}/reports", content=b"{}").status_code == 415
    assert post_report(f"{collector.url}/reports", json.dumps(extra).encode()) is (
        SendResult.REFUSED
    )
    assert httpx.get(f"{collector.url}/totals").json()["weeks"] == {}
    assert not (collector.data / "totals.json").exists()


def test_a_failed_send_is_retried_later_and_changes_nothing_else(nexthub_home: Path) -> None:
    places = places_here()
    week_of_use(places)
    clock = Clock(utc_now() + timedelta(days=4))
    telemetry = make_telemetry(places, clock)
    telemetry.flush()
    [before] = telemetry.store.pending()
    courier = Courier(telemetry, f"http://{LOOPBACK}:9/v1/reports")  # nothing listens there
    assert courier.deliver_due() == [SendResult.FAILED]
    [after] = telemetry.store.pending()
    assert after.body == before.body and after.plan.attempts == 1
    assert after.plan.send_at > clock.now
    assert telemetry.store.sent_files() == []
