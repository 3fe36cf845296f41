"""A fair first-in, first-out queue for the one model (the engine serves one request at a time).

Each request that needs the model takes a :class:`Ticket` and waits until it
is at the front; its position (1 = next) can be read while it waits, so a
stream can tell its client. Leaving the queue, served or not (a client that
went away), lets the next one in. All of it runs on the event loop's thread.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Ticket:
    """One request's place in the queue."""

    def __init__(self) -> None:
        self.granted = asyncio.Event()


class ModelQueue:
    """Who uses the model now, and who waits, in arrival order."""

    def __init__(self) -> None:
        self._serving: Ticket | None = None
        self._waiting: deque[Ticket] = deque()

    def join(self) -> Ticket:
        """Take a place at the back (or the model at once, when it is free)."""
        ticket = Ticket()
        self._waiting.append(ticket)
        self._advance()
        return ticket

    def position(self, ticket: Ticket) -> int:
        """0 while served, else how many are served before it, plus one."""
        if ticket is self._serving:
            return 0
        try:
            return self._waiting.index(ticket) + 1
        except ValueError:
            return 0

    async def wait(self, ticket: Ticket, timeout: float | None = None) -> bool:
        """Wait for the ticket's turn; False if ``timeout`` passed first."""
        try:
            await asyncio.wait_for(ticket.granted.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def leave(self, ticket: Ticket) -> None:
        """Give up the turn or the place in the queue; the next one goes in."""
        if ticket is self._serving:
            self._serving = None
        else:
            try:
                self._waiting.remove(ticket)
            except ValueError:
                return
        self._advance()

    @property
    def waiting(self) -> int:
        """How many requests wait (not counting the one served)."""
        return len(self._waiting)

    def _advance(self) -> None:
        if self._serving is None and self._waiting:
            self._serving = self._waiting.popleft()
            self._serving.granted.set()
