"""An ASGI ``send`` that remembers the status of the response it sends.

The access log and the usage log both need a request's status after the
app has answered, without seeing anything else of the response.
"""

from __future__ import annotations

from starlette.types import Message, Send


class StatusNotingSend:
    """Pass messages on to ``send``; :attr:`status` is the response's (0 until it starts)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 0

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self._send(message)
