"""The web GUI's page and its files, from the package's ``nexthub/web/static/`` folder.

Only the files named in :data:`STATIC_FILES` are served, read once when the
app is made: a request can name nothing else, so ``../`` in any encoding
(``%2e%2e/``, ``..%2f``, ``%252e``) reaches no file on disk and is a 404.
Everything the page needs is here; it loads nothing from another site.
"""

from __future__ import annotations

from importlib import resources

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

#: The files the page is made of, with their media types.
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}


def _read_static() -> dict[str, bytes]:
    folder = resources.files("nexthub.web") / "static"
    return {name: (folder / name).read_bytes() for name in STATIC_FILES}


class GuiPages:
    """``/`` (the page) and ``/static/{name}`` (its script, style sheet and icon)."""

    def __init__(self) -> None:
        self._files = _read_static()

    def routes(self) -> list[Route]:
        """The routes, for the app."""
        return [
            Route("/", self.index, methods=["GET"]),
            Route("/static/{name}", self.static, methods=["GET"]),
        ]

    async def index(self, request: Request) -> Response:
        """GET /: the page."""
        return self._file("index.html")

    async def static(self, request: Request) -> Response:
        """GET /static/{name}: one of the page's own files, or 404."""
        return self._file(str(request.path_params["name"]))

    def _file(self, name: str) -> Response:
        if name not in self._files:
            raise HTTPException(404)
        return Response(self._files[name], media_type=STATIC_FILES[name])
