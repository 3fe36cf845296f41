"""Consent: off until the user says yes, forced off by ``DO_NOT_TRACK``, tied to the schema.

The answer is kept in a small file outside telemetry's own folder (the caller
puts it with the settings), holding only the answer and the schema version it
was given for, so that turning telemetry off can delete the whole folder and
still remember the "no". A yes given for an older schema counts as no answer:
the user is asked again about what the new schema sends.
"""

from __future__ import annotations

import enum
import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from nexthub.telemetry.files import read_or_none, write_atomically
from nexthub.telemetry.registry import Registry, default_registry

DO_NOT_TRACK = "DO_NOT_TRACK"
_FALSE_WORDS = {"", "0", "false", "no", "off"}


class Consent(enum.Enum):
    """Where the user stands, as far as telemetry is concerned."""

    ON = "on"  #: said yes to the current schema
    OFF = "off"  #: said no
    ASK = "ask"  #: never answered, or said yes to an older schema: ask (and stay off)
    FORCED_OFF = "forced-off"  #: DO_NOT_TRACK is set: off whatever was answered


def do_not_track(environ: Mapping[str, str] | None = None) -> bool:
    """True when ``DO_NOT_TRACK`` is set to anything but a false-sounding word."""
    env = os.environ if environ is None else environ
    return env.get(DO_NOT_TRACK, "").strip().lower() not in _FALSE_WORDS


def read_consent(
    consent_file: Path,
    registry: Registry | None = None,
    environ: Mapping[str, str] | None = None,
) -> Consent:
    """The consent in force now; anything unreadable counts as no answer."""
    if do_not_track(environ):
        return Consent.FORCED_OFF
    schema = (registry or default_registry()).schema
    raw = read_or_none(consent_file)
    try:
        answer = json.loads(raw) if raw is not None else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("enabled"), bool):
        return Consent.ASK
    if not answer["enabled"]:
        return Consent.OFF
    return Consent.ON if answer.get("schema") == schema else Consent.ASK


def turn_on(consent_file: Path, registry: Registry | None = None) -> None:
    """Record a yes for the current schema (recording starts from here, nothing earlier)."""
    _record(consent_file, enabled=True, registry=registry)


def turn_off(consent_file: Path, folder: Path, registry: Registry | None = None) -> None:
    """Record a no and delete everything telemetry stored; nothing is sent."""
    _record(consent_file, enabled=False, registry=registry)
    shutil.rmtree(folder, ignore_errors=True)


def _record(consent_file: Path, *, enabled: bool, registry: Registry | None) -> None:
    schema = (registry or default_registry()).schema
    data = json.dumps({"enabled": enabled, "schema": schema}, sort_keys=True)
    write_atomically(consent_file, data.encode("ascii") + b"\n")
