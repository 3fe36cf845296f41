"""``nexthub telemetry``: anonymous usage totals, off unless you turn them on.

``on`` and ``off`` give or take back consent (``off`` deletes everything
telemetry kept and sends nothing). ``show`` prints the exact bytes of the
next reports (the finished weeks waiting to be sent, then this week so far);
``sent`` prints the last few reports exactly as they were sent. The bytes go
to stdout and the explanations to stderr, so ``nexthub telemetry show >
report.json`` saves just the report. What a report can hold: docs/TELEMETRY.md.
``DO_NOT_TRACK=1`` keeps telemetry off whatever was chosen.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nexthub.paths import AppPaths
from nexthub.service.telemetry_access import open_telemetry
from nexthub.telemetry import Consent, turn_off, turn_on

_STATES = {
    Consent.ON: "on: weekly totals are recorded and sent",
    Consent.OFF: "off: nothing is recorded or sent",
    Consent.ASK: "off (not chosen yet, or the report's contents changed since you said yes)",
    Consent.FORCED_OFF: "off: DO_NOT_TRACK is set",
}


def register(commands: Any) -> None:
    """Add ``telemetry`` and its sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "telemetry", help="anonymous usage totals (off unless turned on)", description=__doc__
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("on", help="send weekly anonymous totals").set_defaults(run=run_on)
    actions.add_parser("off", help="stop, and delete what was kept").set_defaults(run=run_off)
    actions.add_parser("show", help="the exact next reports").set_defaults(run=run_show)
    actions.add_parser("sent", help="the last reports, as sent").set_defaults(run=run_sent)


def run_on(args: argparse.Namespace) -> int:
    """Record a yes for the current report schema."""
    telemetry = open_telemetry(AppPaths.from_environment())
    turn_on(telemetry.consent_file)
    if telemetry.consent() is Consent.FORCED_OFF:
        _say("Recorded your yes, but DO_NOT_TRACK is set, so telemetry stays off.")
        return 0
    _say(
        "Telemetry is on. Once a week NextHub sends totals (features used, speed, "
        "crash signatures, device classes), never what you type or load.\n"
        "See the next report with `nexthub telemetry show`; stop with `nexthub telemetry off`."
    )
    return 0


def run_off(args: argparse.Namespace) -> int:
    """Record a no and delete telemetry's folder."""
    telemetry = open_telemetry(AppPaths.from_environment())
    turn_off(telemetry.consent_file, telemetry.store.folder)
    _say("Telemetry is off. Everything it kept on this computer is deleted; nothing is sent.")
    return 0


def run_show(args: argparse.Namespace) -> int:
    """Print the exact bytes of the reports to be sent next."""
    telemetry = open_telemetry(AppPaths.from_environment())
    consent = telemetry.consent()
    _say(f"Telemetry is {_STATES[consent]}.")
    if consent is not Consent.ON:
        _say("Were it on, this week's report would start out as:")
        _emit(telemetry.sample())
        return 0
    telemetry.flush()  # finishes a week that has ended, as the app would
    for pending in telemetry.store.pending():
        _say(f"Week {pending.period.label}, to be sent after {pending.plan.send_at:%Y-%m-%d}:")
        _emit(pending.body)
    current = telemetry.store.read_current()
    if current is None:
        _say("Nothing recorded this week yet; the report would start out as:")
        _emit(telemetry.sample())
    else:
        _say(f"This week ({current.period.label}) so far, sent after it ends:")
        _emit(current.report_bytes())
    return 0


def run_sent(args: argparse.Namespace) -> int:
    """Print the last reports exactly as they were sent."""
    telemetry = open_telemetry(AppPaths.from_environment())
    files = telemetry.store.sent_files()
    if not files:
        _say("No report has been sent from this computer.")
    for path in files:
        _say(f"Week {path.stem}, as sent:")
        _emit(path.read_bytes())
    return 0


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _emit(body: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(body)
    sys.stdout.buffer.flush()
