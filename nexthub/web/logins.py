"""The web GUI's logins: one-time login links and the browser sessions they open.

``nexthub serve`` prints a link with a login token. Opening it once trades the
token for a session (a random id in a cookie) and the token is spent: a link
seen later in a terminal's scroll-back or a shell history logs nobody in.
After each use a fresh link is minted and handed to ``on_new_link`` (the
terminal prints it), so another browser can log in without a restart.

Both live only in this process's memory: stopping the server logs every
browser out. Only SHA-256 hashes of tokens and session ids are kept, looked
up by hash, so neither a timing difference nor a memory dump gives one away.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Callable

#: The one cookie the app sets.
SESSION_COOKIE = "nexthub_session"
#: Random bytes in a login token and in a session id (256 bits).
SECRET_BYTES = 32


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


class WebLogins:
    """Login tokens (each good once) and the sessions opened with them."""

    def __init__(self, on_new_link: Callable[[str], None] | None = None) -> None:
        self._on_new_link = on_new_link
        self._tokens: set[str] = set()
        self._sessions: set[str] = set()
        self._lock = threading.Lock()

    def new_token(self) -> str:
        """A fresh login token, good for one login."""
        token = secrets.token_urlsafe(SECRET_BYTES)
        with self._lock:
            self._tokens.add(_digest(token))
        return token

    def log_in(self, token: str) -> str | None:
        """Spend ``token`` for a new session id; None if it is wrong or was used."""
        with self._lock:
            try:
                self._tokens.remove(_digest(token))
            except KeyError:
                return None
            session = secrets.token_urlsafe(SECRET_BYTES)
            self._sessions.add(_digest(session))
        if self._on_new_link is not None:
            self._on_new_link(self.new_token())
        return session

    def is_session(self, session: str | None) -> bool:
        """Whether ``session`` (a cookie's value) is a live session."""
        if not session:
            return False
        with self._lock:
            return _digest(session) in self._sessions

    def log_out(self, session: str) -> None:
        """End a session (its cookie is refused from now on)."""
        with self._lock:
            self._sessions.discard(_digest(session))
