"""The receiving side of telemetry: small enough to read in one sitting.

It checks every report against the same registry as the app (see
:mod:`nexthub.telemetry.report`), folds it into totals at once and keeps no
raw report, never looks at or logs the sender's address, and publishes only
cells that enough installs contributed to.
"""

from nexthub.collector.app import create_collector_app
from nexthub.collector.totals import Totals

__all__ = ["Totals", "create_collector_app"]
