"""The localhost server: an OpenAI-compatible API over the service layer, safe by default.

``create_app(hub, ServerSettings(...))`` is the ASGI app; ``nexthub serve``
runs it with uvicorn on loopback. See docs/SERVER.md.
"""

from nexthub.web.app import create_app
from nexthub.web.config import ServerSettings

__all__ = ["ServerSettings", "create_app"]
