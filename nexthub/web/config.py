"""How one server is set up: which origins and hosts it trusts, how big a body may be."""

from __future__ import annotations

from dataclasses import dataclass

#: The largest request body accepted by default (a long chat is far smaller).
DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    """The security-relevant choices of one server; the defaults are the safe ones."""

    #: Origins (``scheme://host[:port]``) that may call the API from a browser (CORS)
    #: and send state-changing requests. Empty: no other site may.
    allowed_origins: tuple[str, ...] = ()
    #: Host names accepted besides loopback ones (only for an explicit ``--host``).
    extra_hosts: tuple[str, ...] = ()
    #: Bodies larger than this are refused with 413.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: Seconds between queue-position comments on a waiting stream.
    queue_report_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if "*" in self.allowed_origins or "null" in self.allowed_origins:
            raise ValueError("allowed origins must be named sites, not '*' or 'null'")
        if self.max_body_bytes < 1:
            raise ValueError("the body size limit must be at least 1 byte")
