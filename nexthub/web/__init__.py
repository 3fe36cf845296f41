"""The localhost server: an OpenAI-compatible API and a web GUI over the service layer.

``create_app(hub, ServerSettings(...), logins=WebLogins(...))`` is the ASGI
app; ``nexthub serve`` runs it with uvicorn on loopback. See docs/SERVER.md.
"""

from nexthub.web.app import create_app
from nexthub.web.config import ServerSettings
from nexthub.web.logins import WebLogins

__all__ = ["ServerSettings", "WebLogins", "create_app"]
