"""Posting one report: HTTPS only (plain HTTP only to a loopback address, for tests).

The standard library's urllib, with certificate checks on, no redirects
followed (a redirect could downgrade to HTTP or leave the endpoint), a fixed
User-Agent that says nothing about the machine, and a timeout. The answer is
reduced to three outcomes the delivery rules act on; a collector that names
the SHA-256 of what it received must name the bytes that were sent.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
import json
import os
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from email.message import Message
from typing import IO
from urllib.parse import urlsplit

#: The project's collector. It does not exist yet: until it does, reports
#: cannot be delivered and are dropped when they go stale.
DEFAULT_ENDPOINT = "https://telemetry.nexthub.invalid/v1/reports"
ENDPOINT_ENV = "NEXTHUB_TELEMETRY_URL"
USER_AGENT = "nexthub-telemetry"
TIMEOUT_S = 15.0


class SendResult(enum.Enum):
    """What became of one try."""

    SENT = "sent"  #: the collector took it
    REFUSED = "refused"  #: the collector said no (4xx): trying again will not help
    FAILED = "failed"  #: no answer, or a server error: try again later


Post = Callable[[str, bytes], SendResult]


def endpoint_from(environ: Mapping[str, str] | None = None) -> str:
    """The endpoint: ``NEXTHUB_TELEMETRY_URL`` when set, else the project's."""
    env = os.environ if environ is None else environ
    return check_endpoint(env.get(ENDPOINT_ENV, "").strip() or DEFAULT_ENDPOINT)


def check_endpoint(url: str) -> str:
    """``url`` if it is HTTPS, or HTTP to a loopback address; else ValueError."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username or parts.password or parts.query or parts.fragment or not host:
        raise ValueError("the telemetry endpoint must be a plain https://host/path URL")
    if parts.scheme == "https":
        return url
    if parts.scheme == "http" and _is_loopback(host):
        return url
    raise ValueError("the telemetry endpoint must use https (http only to a loopback address)")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(  # noqa: PLR0917 (urllib's signature)
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def post_report(endpoint: str, body: bytes) -> SendResult:
    """POST ``body`` to ``endpoint`` once."""
    url = check_endpoint(endpoint)
    host = urlsplit(url).hostname or ""
    # A proxy must not stand between the app and a loopback collector.
    proxies = urllib.request.ProxyHandler({} if _is_loopback(host) else None)
    opener = urllib.request.build_opener(proxies, _NoRedirects())
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": USER_AGENT},
    )
    answer = b""
    try:
        with opener.open(request, timeout=TIMEOUT_S) as response:
            answer = response.read(4096)
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        status = exc.code
    except (OSError, ValueError):
        return SendResult.FAILED
    if 200 <= status < 300:
        return SendResult.SENT if _confirms(answer, body) else SendResult.FAILED
    if 400 <= status < 500 and status not in {408, 429}:
        return SendResult.REFUSED
    return SendResult.FAILED


def _confirms(answer: bytes, body: bytes) -> bool:
    """False when the collector says it received other bytes than those sent."""
    try:
        said = json.loads(answer)
    except ValueError:
        return True
    if isinstance(said, dict) and "sha256" in said:
        return bool(said["sha256"] == hashlib.sha256(body).hexdigest())
    return True
