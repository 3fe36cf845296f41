"""Anonymous, opt-in telemetry: weekly totals that could belong to anyone.

Separate by construction: this package imports nothing else of NextHub (a
test parses its imports), and it is handed the folder it may write to. The
rest of the app talks to it through :class:`Telemetry` (``count``, ``observe``,
``crash``), which does nothing until the user says yes. Everything that can
ever be recorded is declared in ``registry.toml``; see docs/TELEMETRY.md.
"""

from nexthub.telemetry.consent import Consent, read_consent, turn_off, turn_on
from nexthub.telemetry.delivery import Courier, TelemetryThread
from nexthub.telemetry.device import DeviceFacts
from nexthub.telemetry.recorder import Telemetry

__all__ = [
    "Consent",
    "Courier",
    "DeviceFacts",
    "Telemetry",
    "TelemetryThread",
    "read_consent",
    "turn_off",
    "turn_on",
]
