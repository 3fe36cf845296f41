"""Telemetry as every face uses it: where it lives, the consent, the next report, sending.

The desktop app, ``nexthub serve`` and ``nexthub telemetry`` all open the same
:class:`~nexthub.telemetry.Telemetry` over the same two places
(:attr:`AppPaths.telemetry_dir`, :attr:`AppPaths.telemetry_consent_file`), so
a "no" given in one face is a "no" in all of them, and the report the
Privacy page shows is the one ``nexthub telemetry show`` prints first.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from nexthub import __version__
from nexthub.paths import AppPaths
from nexthub.telemetry import (
    Consent,
    Courier,
    DeviceFacts,
    Telemetry,
    TelemetryThread,
    turn_off,
    turn_on,
)
from nexthub.telemetry.sender import endpoint_from

__all__ = ["Consent", "Telemetry", "TelemetryThread"]

log = logging.getLogger(__name__)


def open_telemetry(paths: AppPaths, environ: Mapping[str, str] | None = None) -> Telemetry:
    """This installation's telemetry (CPU classes until the engine reports its GPU)."""
    return Telemetry(
        paths.telemetry_dir,
        paths.telemetry_consent_file,
        DeviceFacts.probe(__version__),
        environ=environ,
    )


def set_consent(telemetry: Telemetry, yes: bool) -> Consent:
    """Record the user's answer; "no" deletes telemetry's folder. Returns the consent now.

    The telemetry is flushed at once, so counting starts (or stops, dropping
    what was counted in memory) with this answer, not at the next flush.
    """
    if yes:
        turn_on(telemetry.consent_file, telemetry.registry)
    else:
        turn_off(telemetry.consent_file, telemetry.store.folder, telemetry.registry)
    telemetry.flush()
    return telemetry.consent()


def next_report(telemetry: Telemetry) -> bytes:
    """The exact bytes of the next report: what ``nexthub telemetry show`` prints first.

    A finished week waiting to be sent, else this week so far, else (nothing
    counted, or telemetry off) the report as it would start out.
    """
    if telemetry.consent() is not Consent.ON:
        return telemetry.sample()
    telemetry.flush()
    pending = telemetry.store.pending()
    if pending:
        return pending[0].body
    current = telemetry.store.read_current()
    return telemetry.sample() if current is None else current.report_bytes()


def start_reporting(telemetry: Telemetry) -> TelemetryThread | None:
    """Start the background thread that writes counts and sends due reports.

    None when ``NEXTHUB_TELEMETRY_URL`` is not a usable endpoint: then the
    counts stay on this computer (``nexthub telemetry show`` still shows them).
    The thread does nothing while consent is not given.
    """
    try:
        endpoint = endpoint_from()
    except ValueError as problem:
        log.warning("telemetry will not be sent: %s", problem)
        return None
    thread = TelemetryThread(Courier(telemetry, endpoint))
    thread.start()
    return thread


@dataclass(frozen=True)
class TelemetryStatus:
    """What a settings page shows: the consent in force and the exact next report."""

    consent: Consent
    next_report: bytes


def telemetry_status(telemetry: Telemetry) -> TelemetryStatus:
    """The consent now and :func:`next_report` (reads files: call it off a GUI's main thread)."""
    return TelemetryStatus(telemetry.consent(), next_report(telemetry))


def should_ask_again(telemetry: Telemetry) -> bool:
    """Whether to put the question again: the user answered once, for an older schema.

    Someone who never answered (they were welcomed before NextHub asked) is not
    pestered: telemetry stays off, and Privacy and data offers it.
    """
    return telemetry.consent() is Consent.ASK and telemetry.consent_file.exists()
